package password

import "time"

// AgeStatus is where a password stands in its life.
type AgeStatus struct {
	Never     bool      // no expiry (MaxAge 0, exempt account, or change time unknown)
	Expired   bool      // now is at or after ExpiresAt
	Warn      bool      // not expired, and within WarnPeriod of ExpiresAt
	DaysLeft  int       // whole days until expiry, rounded up; 0 when expired
	ExpiresAt time.Time // zero when Never
}

// Age tells whether a password set at changedAt has expired at now. An
// exempt account (AgingExempt) never expires. A zero changedAt means the
// change time is unknown (an account created before aging existed, or
// imported): it counts as never expiring rather than locking its user out,
// and the store should record a change time at the next password change.
// A password expires at exactly changedAt + MaxAge.
func (p Policy) Age(changedAt, now time.Time, exempt bool) AgeStatus {
	if exempt || p.MaxAge <= 0 || changedAt.IsZero() {
		return AgeStatus{Never: true}
	}
	s := AgeStatus{ExpiresAt: changedAt.Add(p.MaxAge)}
	left := s.ExpiresAt.Sub(now)
	if left <= 0 {
		s.Expired = true
		return s
	}
	s.DaysLeft = int((left + day - 1) / day)
	s.Warn = p.WarnPeriod > 0 && left <= p.WarnPeriod
	return s
}

// ChangeAllowedAt is the earliest time a user may change a password set at
// changedAt: changedAt + MinAge. A zero changedAt (unknown) gives the zero
// time, so a change is allowed at once. The minimum age is for changes a
// user chooses to make; callers do not apply it when the change is forced
// (expired password, must change at next login).
func (p Policy) ChangeAllowedAt(changedAt time.Time) time.Time {
	if changedAt.IsZero() || p.MinAge <= 0 {
		return changedAt
	}
	return changedAt.Add(p.MinAge)
}

// InHistory reports whether pw matches any of hashes, the user's previous
// password hashes in any format Verify reads (argon2id, bcrypt,
// SHA-512-crypt). Hashes it cannot read are skipped. Each comparison costs
// a full verification, so callers pass at most Policy.History hashes.
func (h *Hasher) InHistory(pw string, hashes []string) bool {
	for _, enc := range hashes {
		if ok, _, err := h.Verify(enc, pw); err == nil && ok {
			return true
		}
	}
	return false
}
