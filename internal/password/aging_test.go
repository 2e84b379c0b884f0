package password

import (
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"
)

func TestAge(t *testing.T) {
	d := 24 * time.Hour
	changed := time.Date(2025, 1, 1, 12, 0, 0, 0, time.UTC)
	expires := changed.Add(90 * d)
	p := DefaultPolicy() // 90 days, warning 14 days before
	tests := []struct {
		name   string
		p      Policy
		now    time.Time
		exempt bool
		zero   bool // changedAt unknown
		want   AgeStatus
	}{
		{"just changed", p, changed, false, false, AgeStatus{DaysLeft: 90, ExpiresAt: expires}},
		{"one second after change", p, changed.Add(time.Second), false, false, AgeStatus{DaysLeft: 90, ExpiresAt: expires}},
		{"one day and a second after", p, changed.Add(d + time.Second), false, false, AgeStatus{DaysLeft: 89, ExpiresAt: expires}},
		{"just outside warning", p, expires.Add(-14*d - time.Second), false, false, AgeStatus{DaysLeft: 15, ExpiresAt: expires}},
		{"start of warning", p, expires.Add(-14 * d), false, false, AgeStatus{Warn: true, DaysLeft: 14, ExpiresAt: expires}},
		{"within warning", p, expires.Add(-3*d - time.Hour), false, false, AgeStatus{Warn: true, DaysLeft: 4, ExpiresAt: expires}},
		{"one second before expiry", p, expires.Add(-time.Second), false, false, AgeStatus{Warn: true, DaysLeft: 1, ExpiresAt: expires}},
		{"exactly at expiry", p, expires, false, false, AgeStatus{Expired: true, ExpiresAt: expires}},
		{"long expired", p, expires.Add(400 * d), false, false, AgeStatus{Expired: true, ExpiresAt: expires}},
		{"exempt", p, expires.Add(d), true, false, AgeStatus{Never: true}},
		{"max age 0", NISTPolicy(), changed.Add(10000 * d), false, false, AgeStatus{Never: true}},
		{"unknown change time", p, expires.Add(d), false, true, AgeStatus{Never: true}},
		{"no warning period", Policy{MaxAge: 10 * d}, changed.Add(10*d - time.Second), false, false,
			AgeStatus{DaysLeft: 1, ExpiresAt: changed.Add(10 * d)}},
	}
	for _, tt := range tests {
		at := changed
		if tt.zero {
			at = time.Time{}
		}
		if got := tt.p.Age(at, tt.now, tt.exempt); got != tt.want {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, tt.want)
		}
	}
}

func TestChangeAllowedAt(t *testing.T) {
	changed := time.Date(2025, 3, 30, 23, 0, 0, 0, time.UTC)
	if got, want := DefaultPolicy().ChangeAllowedAt(changed), changed.Add(24*time.Hour); !got.Equal(want) {
		t.Errorf("default: %v, want %v", got, want)
	}
	if got := NISTPolicy().ChangeAllowedAt(changed); !got.Equal(changed) {
		t.Errorf("no minimum age: %v", got)
	}
	if got := DefaultPolicy().ChangeAllowedAt(time.Time{}); !got.IsZero() {
		t.Errorf("unknown change time: %v", got)
	}
}

func TestInHistory(t *testing.T) {
	h := &Hasher{Params: fast}
	argon, err := h.Hash("old-one")
	if err != nil {
		t.Fatal(err)
	}
	bc, err := bcrypt.GenerateFromPassword([]byte("old-two"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	// From the SHA-crypt specification's examples.
	sha := "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1"
	history := []string{"garbage", argon, string(bc), sha}
	tests := []struct {
		pw   string
		want bool
	}{
		{"old-one", true},
		{"old-two", true},
		{"Hello world!", true},
		{"new-one", false},
		{"OLD-ONE", false},
		{"", false},
	}
	for _, tt := range tests {
		if got := h.InHistory(tt.pw, history); got != tt.want {
			t.Errorf("InHistory(%q) = %v, want %v", tt.pw, got, tt.want)
		}
	}
	if h.InHistory("old-one", nil) {
		t.Error("empty history matched")
	}
}
