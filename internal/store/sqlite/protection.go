package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"math"
	"net/netip"
	"time"
)

// canonicalAddr brings an address or a prefix to one text form, so that a
// login recorded from one spelling is found from another: an address loses
// its zone and IPv4-in-IPv6 mapping ("::ffff:203.0.113.7" is
// "203.0.113.7"), a prefix is masked ("2001:db8::1/64" is "2001:db8::/64").
func canonicalAddr(s string) (string, error) {
	if a, err := netip.ParseAddr(s); err == nil {
		return a.WithZone("").Unmap().String(), nil
	}
	p, err := netip.ParsePrefix(s)
	if err != nil {
		return "", fmt.Errorf("invalid address %q", s)
	}
	return p.Masked().String(), nil
}

// sinceNanos turns the lower bound of a search into stored nanoseconds. A
// zero or very early since matches every row and one after 2262 none,
// instead of the wrapped value UnixNano would give.
func sinceNanos(t time.Time) int64 {
	switch {
	case t.IsZero() || t.Before(minStoredTime):
		return math.MinInt64
	case t.After(maxStoredTime):
		return math.MaxInt64
	}
	return t.UnixNano()
}

// RecordKnownAddress remembers that user name logged in from addr (an
// address or prefix, see canonicalAddr) at at. Recording an address again
// moves its time forward, never back, so a late write from a slow process
// cannot make a recent login look old. Returns store.ErrNotFound for an
// unknown user. It does not change the generation.
func (s *Store) RecordKnownAddress(ctx context.Context, name, addr string, at time.Time) error {
	key, err := canonicalAddr(addr)
	if err != nil {
		return fmt.Errorf("record known address of %q: %w", name, err)
	}
	if at.IsZero() {
		return fmt.Errorf("record known address of %q: zero time", name)
	}
	if err := checkTime("login time", at); err != nil {
		return fmt.Errorf("record known address of %q: %w", name, err)
	}
	// One statement checks that the user exists and writes the row, so a
	// concurrent delete cannot leave an orphan.
	res, err := s.db.ExecContext(ctx, `INSERT INTO known_addresses (user_id, addr, last_seen)
		SELECT id, ?, ? FROM users WHERE name_key = ?
		ON CONFLICT (user_id, addr) DO UPDATE SET last_seen = MAX(last_seen, excluded.last_seen)`,
		key, at.UTC().UnixNano(), nameKey(name))
	if err := oneRow(res, err); err != nil {
		return fmt.Errorf("record known address of %q: %w", name, err)
	}
	return nil
}

// KnownAddress reports whether user name logged in from addr at or after
// since (a zero since accepts any time). An unknown user has no known
// address: the answer is false with no error, because the login path asks
// before it knows whether the user exists and must treat both alike. Only
// a malformed addr or a database failure is an error.
func (s *Store) KnownAddress(ctx context.Context, name, addr string, since time.Time) (bool, error) {
	key, err := canonicalAddr(addr)
	if err != nil {
		return false, fmt.Errorf("known address of %q: %w", name, err)
	}
	var known bool
	err = s.db.QueryRowContext(ctx, `SELECT EXISTS (SELECT 1 FROM known_addresses k JOIN users u ON u.id = k.user_id
		WHERE u.name_key = ? AND k.addr = ? AND k.last_seen >= ?)`,
		nameKey(name), key, sinceNanos(since)).Scan(&known)
	if err != nil {
		return false, fmt.Errorf("known address of %q: %w", name, err)
	}
	return known, nil
}

// ForgetKnownAddresses removes the addresses last seen before before: a
// login that old no longer makes an address known (defender.
// known_address_days), so keeping it would only grow the table.
func (s *Store) ForgetKnownAddresses(ctx context.Context, before time.Time) (int64, error) {
	res, err := s.db.ExecContext(ctx, `DELETE FROM known_addresses WHERE last_seen < ?`, sinceNanos(before))
	if err != nil {
		return 0, fmt.Errorf("forget known addresses: %w", err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return 0, fmt.Errorf("forget known addresses: %w", err)
	}
	return n, nil
}

// SetAccountProtection records until when user name accepts logins only
// from known addresses; a zero until removes the protection. Returns
// store.ErrNotFound for an unknown user. It does not change the
// generation: protection is not a change of rights.
func (s *Store) SetAccountProtection(ctx context.Context, name string, until time.Time) error {
	if err := checkTime("protection end", until); err != nil {
		return fmt.Errorf("set protection of %q: %w", name, err)
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		id, err := lookupID(ctx, tx, "users", name)
		if err != nil {
			return err
		}
		if until.IsZero() {
			_, err = tx.ExecContext(ctx, `DELETE FROM account_protection WHERE user_id = ?`, id)
		} else {
			_, err = tx.ExecContext(ctx, `INSERT INTO account_protection (user_id, until) VALUES (?, ?)
				ON CONFLICT (user_id) DO UPDATE SET until = excluded.until`, id, until.UTC().UnixNano())
		}
		return mapErr(err)
	})
	if err != nil {
		return fmt.Errorf("set protection of %q: %w", name, err)
	}
	return nil
}

// AccountProtection returns until when user name accepts logins only from
// known addresses, in UTC, or the zero time when it is not protected (an
// end in the past is returned as stored; the caller compares it with its
// clock). Returns store.ErrNotFound for an unknown user.
func (s *Store) AccountProtection(ctx context.Context, name string) (time.Time, error) {
	var until sql.NullInt64
	err := s.db.QueryRowContext(ctx, `SELECT p.until FROM users u
		LEFT JOIN account_protection p ON p.user_id = u.id WHERE u.name_key = ?`, nameKey(name)).Scan(&until)
	if err != nil {
		return time.Time{}, fmt.Errorf("protection of %q: %w", name, mapErr(err))
	}
	return fromNull(until), nil
}
