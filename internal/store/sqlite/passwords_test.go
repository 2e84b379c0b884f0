package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// TestUpgradeFromVersion2 opens a database as the release before password
// compliance left it: an existing user must count its password as set at
// the upgrade (not at the epoch, which would expire it at once).
func TestUpgradeFromVersion2(t *testing.T) {
	ctx := context.Background()
	before := time.Now()
	s := upgradeFrom(t, 2, `INSERT INTO users (name, name_key, password_hash, created_at, updated_at)
		VALUES ('Old', 'old', '$argon2id$old', 1, 2);
		INSERT INTO groups (name, name_key, created_at, updated_at) VALUES ('staff', 'staff', 1, 2);`)
	after := time.Now()
	u, err := s.GetUser(ctx, "old")
	if err != nil {
		t.Fatal(err)
	}
	// unixepoch('subsec') has millisecond precision.
	if u.PasswordChangedAt.Before(before.Add(-time.Millisecond)) || u.PasswordChangedAt.After(after) {
		t.Errorf("PasswordChangedAt %v, want between %v and %v", u.PasswordChangedAt, before, after)
	}
	if u.MustChangePassword || u.AgingExempt || !u.ValidUntil.IsZero() || u.PasswordHash != "$argon2id$old" {
		t.Errorf("upgraded user %+v", u)
	}
	if h, err := s.PasswordHistory(ctx, "old", 10); err != nil || len(h) != 0 {
		t.Errorf("history after upgrade %v, %v", h, err)
	}
	g, err := s.GetGroup(ctx, "staff")
	if err != nil || !g.PasswordRules.IsZero() {
		t.Errorf("upgraded group %+v, %v", g, err)
	}
}

func TestUserPasswordFieldsRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	zone := time.FixedZone("x", -7200)

	fresh := &user.User{Name: "fresh", PasswordHash: "h"}
	if err := s.CreateUser(ctx, fresh); err != nil {
		t.Fatal(err)
	}
	if !fresh.PasswordChangedAt.Equal(fresh.CreatedAt) {
		t.Errorf("zero PasswordChangedAt became %v, want the creation time %v", fresh.PasswordChangedAt, fresh.CreatedAt)
	}
	if got, _ := s.GetUser(ctx, "fresh"); !got.PasswordChangedAt.Equal(fresh.CreatedAt) || !got.ValidUntil.IsZero() {
		t.Errorf("stored fresh user %+v", got)
	}

	changed := time.Date(2024, 1, 2, 3, 4, 5, 123456789, zone)
	until := time.Date(2030, 6, 7, 8, 9, 10, 987654321, zone)
	u := &user.User{Name: "svc", PasswordHash: "h", PasswordChangedAt: changed,
		MustChangePassword: true, AgingExempt: true, ValidUntil: until}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	for _, get := range []func() *user.User{
		func() *user.User { g, _ := s.GetUser(ctx, "SVC"); return g },
		func() *user.User { l, _ := s.ListUsers(ctx); return l[1] },
	} {
		got := get()
		if !got.PasswordChangedAt.Equal(changed) || !got.ValidUntil.Equal(until) || !got.MustChangePassword ||
			!got.AgingExempt || got.ValidUntil.Location() != time.UTC {
			t.Errorf("read back %+v", got)
		}
	}

	// Clearing every field: ValidUntil zero is NULL in the database.
	u.MustChangePassword, u.AgingExempt, u.ValidUntil, u.PasswordChangedAt = false, false, time.Time{}, time.Time{}
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	got, _ := s.GetUser(ctx, "svc")
	if got.MustChangePassword || got.AgingExempt || !got.ValidUntil.IsZero() || !got.PasswordChangedAt.IsZero() {
		t.Errorf("after clearing: %+v", got)
	}
	var raw sql.NullInt64
	if err := s.db.QueryRow(`SELECT valid_until FROM users WHERE name_key = 'svc'`).Scan(&raw); err != nil || raw.Valid {
		t.Errorf("valid_until stored as %v, %v; want NULL", raw, err)
	}

	// And setting them again through UpdateUser.
	got.MustChangePassword, got.ValidUntil, got.PasswordChangedAt = true, until, changed
	if err := s.UpdateUser(ctx, got); err != nil {
		t.Fatal(err)
	}
	again, _ := s.GetUser(ctx, "svc")
	if !again.MustChangePassword || again.AgingExempt || !again.ValidUntil.Equal(until) || !again.PasswordChangedAt.Equal(changed) {
		t.Errorf("after update: %+v", again)
	}

	// Times that Unix nanoseconds cannot hold are refused, not wrapped.
	far := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	if err := s.CreateUser(ctx, &user.User{Name: "forever", ValidUntil: far}); err == nil {
		t.Error("ValidUntil in year 9999 accepted")
	}
	again.ValidUntil = far
	if err := s.UpdateUser(ctx, again); err == nil {
		t.Error("UpdateUser accepted ValidUntil in year 9999")
	}
	if err := s.SetPassword(ctx, "svc", "h", far, false, 1); err == nil {
		t.Error("SetPassword accepted a change time in year 9999")
	}
}

// historyDates returns the created_at of a user's history, newest first.
func historyDates(t *testing.T, s *Store, name string) []time.Time {
	t.Helper()
	rows, err := s.db.Query(`SELECT h.created_at FROM password_history h JOIN users u ON u.id = h.user_id
		WHERE u.name_key = ? ORDER BY h.id DESC`, nameKey(name))
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	var out []time.Time
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, fromNanos(n))
	}
	return out
}

func TestSetPasswordHistory(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	day := func(d int) time.Time { return time.Date(2025, 1, d, 12, 0, 0, 0, time.UTC) }
	if err := s.CreateUser(ctx, &user.User{Name: "Ann", PasswordHash: "h0", PasswordChangedAt: day(1)}); err != nil {
		t.Fatal(err)
	}

	steps := []struct {
		hash       string
		at         time.Time
		mustChange bool
		keep       int
		history    []string
		dates      []time.Time
	}{
		{"h1", day(2), true, 3, []string{"h0"}, []time.Time{day(1)}},
		{"h2", day(3), false, 3, []string{"h1", "h0"}, []time.Time{day(2), day(1)}},
		{"h3", day(4), false, 3, []string{"h2", "h1", "h0"}, []time.Time{day(3), day(2), day(1)}},
		{"h4", day(5), false, 3, []string{"h3", "h2", "h1"}, []time.Time{day(4), day(3), day(2)}},
		// A shorter history drops the oldest entries.
		{"h5", day(6), true, 2, []string{"h4", "h3"}, []time.Time{day(5), day(4)}},
		// A change dated before the previous one is still the newest entry.
		{"h6", day(1), false, 2, []string{"h5", "h4"}, []time.Time{day(6), day(5)}},
		{"h7", day(7), false, 2, []string{"h6", "h5"}, []time.Time{day(1), day(6)}},
		{"h8", day(8), false, 0, nil, nil},
		{"h9", day(9), false, 5, []string{"h8"}, []time.Time{day(8)}},
	}
	for _, st := range steps {
		if err := s.SetPassword(ctx, "ANN", st.hash, st.at, st.mustChange, st.keep); err != nil {
			t.Fatalf("SetPassword(%s): %v", st.hash, err)
		}
		u, err := s.GetUser(ctx, "ann")
		if err != nil {
			t.Fatal(err)
		}
		if u.PasswordHash != st.hash || !u.PasswordChangedAt.Equal(st.at) || u.MustChangePassword != st.mustChange {
			t.Errorf("after %s: hash %q changed %v must %v", st.hash, u.PasswordHash, u.PasswordChangedAt, u.MustChangePassword)
		}
		if h, err := s.PasswordHistory(ctx, "ann", 10); err != nil || !slices.Equal(h, st.history) {
			t.Errorf("after %s: history %v, %v; want %v", st.hash, h, err, st.history)
		}
		if d := historyDates(t, s, "ann"); !slices.EqualFunc(d, st.dates, time.Time.Equal) {
			t.Errorf("after %s: history dates %v, want %v", st.hash, d, st.dates)
		}
	}

	for _, tt := range []struct {
		n    int
		want []string
	}{{0, nil}, {-1, nil}, {1, []string{"h8"}}} {
		if h, err := s.PasswordHistory(ctx, "ann", tt.n); err != nil || !slices.Equal(h, tt.want) {
			t.Errorf("PasswordHistory(n=%d) = %v, %v; want %v", tt.n, h, err, tt.want)
		}
	}
	for i := 10; i < 14; i++ {
		if err := s.SetPassword(ctx, "ann", fmt.Sprintf("n%d", i), day(i), false, 5); err != nil {
			t.Fatal(err)
		}
	}
	if h, _ := s.PasswordHistory(ctx, "ann", 2); len(h) != 2 || h[0] != "n12" || h[1] != "n11" {
		t.Errorf("PasswordHistory(n=2) = %v, want newest two [n12 n11]", h)
	}

	// A hash upgrade at login is the same password: no history, same date.
	before, _ := s.GetUser(ctx, "ann")
	if err := s.SetPasswordHash(ctx, "ann", "$argon2id$upgraded"); err != nil {
		t.Fatal(err)
	}
	after, _ := s.GetUser(ctx, "ann")
	h, _ := s.PasswordHistory(ctx, "ann", 10)
	if after.PasswordHash != "$argon2id$upgraded" || !after.PasswordChangedAt.Equal(before.PasswordChangedAt) ||
		len(h) != 5 || h[0] != "n12" {
		t.Errorf("SetPasswordHash touched history or date: %+v, history %v", after, h)
	}
}

// A password whose date is unknown (stored as zero) enters the history
// dated at the change.
func TestSetPasswordUnknownDate(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	u := &user.User{Name: "nodate", PasswordHash: "h0"}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	u.PasswordChangedAt = time.Time{}
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	before := time.Now()
	if err := s.SetPassword(ctx, "nodate", "h1", time.Time{}, false, 1); err != nil {
		t.Fatal(err)
	}
	after := time.Now()
	d := historyDates(t, s, "nodate")
	if len(d) != 1 || d[0].Before(before) || d[0].After(after) {
		t.Errorf("history dates %v, want one between %v and %v", d, before, after)
	}
	// A zero change time means now, as in CreateUser.
	got, _ := s.GetUser(ctx, "nodate")
	if got.PasswordChangedAt.Before(before) || got.PasswordChangedAt.After(after) {
		t.Errorf("PasswordChangedAt %v, want now", got.PasswordChangedAt)
	}
}

func TestPasswordHistoryErrorsAndCascade(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	for _, name := range []string{"gone", "stays"} {
		if err := s.CreateUser(ctx, &user.User{Name: name, PasswordHash: "h0"}); err != nil {
			t.Fatal(err)
		}
		for _, h := range []string{"h1", "h2"} {
			if err := s.SetPassword(ctx, name, h, time.Now(), false, 5); err != nil {
				t.Fatal(err)
			}
		}
	}
	gen, _ := s.Generation(ctx)
	tests := []struct {
		name string
		err  error
		want error
	}{
		{"set unknown", s.SetPassword(ctx, "nobody", "h", time.Now(), false, 1), store.ErrNotFound},
		{"history unknown", errOf3(s.PasswordHistory(ctx, "nobody", 1)), store.ErrNotFound},
		{"history unknown, n=0", errOf3(s.PasswordHistory(ctx, "nobody", 0)), store.ErrNotFound},
	}
	for _, tt := range tests {
		if !errors.Is(tt.err, tt.want) {
			t.Errorf("%s: got %v, want errors.Is %v", tt.name, tt.err, tt.want)
		}
	}
	if err := s.SetPassword(ctx, "gone", "h", time.Now(), false, -1); err == nil {
		t.Error("negative history length accepted")
	}
	if g, _ := s.Generation(ctx); g != gen {
		t.Errorf("failed SetPassword moved the generation %d -> %d", gen, g)
	}
	if h, _ := s.PasswordHistory(ctx, "gone", 10); !slices.Equal(h, []string{"h1", "h0"}) {
		t.Errorf("failed SetPassword changed the history: %v", h)
	}

	if err := s.DeleteUser(ctx, "gone"); err != nil {
		t.Fatal(err)
	}
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM password_history`).Scan(&n); err != nil || n != 2 {
		t.Errorf("%d history rows after deleting one of two users, %v; want 2", n, err)
	}
	// A new user with the old name does not inherit the history.
	if err := s.CreateUser(ctx, &user.User{Name: "gone", PasswordHash: "x"}); err != nil {
		t.Fatal(err)
	}
	if h, err := s.PasswordHistory(ctx, "gone", 10); err != nil || len(h) != 0 {
		t.Errorf("recreated user's history %v, %v", h, err)
	}
}

func TestGroupPasswordRules(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	yes, no := true, false
	zero, eight, ninety := 0, 8, 90
	cases := []struct {
		name  string
		rules user.PasswordRules
	}{
		{"none", user.PasswordRules{}},
		{"zero and false survive", user.PasswordRules{MinLength: &zero, RequireUpper: &no, History: &zero}},
		{"some", user.PasswordRules{MinLength: &eight, RequireDigit: &yes, MaxAgeDays: &ninety}},
		{"all", user.PasswordRules{MinLength: &eight, MaxLength: &ninety, RequireUpper: &yes, RequireLower: &no,
			RequireDigit: &yes, RequireSymbol: &no, MinScore: &zero, MaxAgeDays: &ninety, MinAgeDays: &zero,
			WarnDays: &eight, History: &eight}},
	}
	check := func(step string, name string, want user.PasswordRules) {
		t.Helper()
		g, err := s.GetGroup(ctx, name)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(g.PasswordRules, want) {
			t.Errorf("%s %s: GetGroup rules %s, want %s", step, name, rulesString(g.PasswordRules), rulesString(want))
		}
		list, _ := s.ListGroups(ctx)
		for _, lg := range list {
			if lg.ID == g.ID && !reflect.DeepEqual(lg.PasswordRules, want) {
				t.Errorf("%s %s: ListGroups rules %s, want %s", step, name, rulesString(lg.PasswordRules), rulesString(want))
			}
		}
	}
	for i, c := range cases {
		g := &user.Group{Name: "g" + string(rune('a'+i)), PasswordRules: c.rules}
		if err := s.CreateGroup(ctx, g); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		check("create", g.Name, c.rules)
		// Update to the next case's rules, wrapping around.
		next := cases[(i+1)%len(cases)].rules
		g.PasswordRules = next
		if err := s.UpdateGroup(ctx, g); err != nil {
			t.Fatalf("%s: %v", c.name, err)
		}
		check("update", g.Name, next)
	}
	var raw string
	if err := s.db.QueryRow(`SELECT password_rules FROM groups WHERE name_key = 'gd'`).Scan(&raw); err != nil || raw != "" {
		t.Errorf("rules without overrides stored as %q, %v; want empty", raw, err)
	}
}

func rulesString(r user.PasswordRules) string {
	s, _ := encodePasswordRules(r)
	return "{" + s + "}"
}
