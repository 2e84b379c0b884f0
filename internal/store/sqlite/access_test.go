package sqlite

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// sampleAccess is deliberately out of any sorted order, with a repeated
// address, so that a store that sorts or de-duplicates is caught.
func sampleAccess() user.AccessRules {
	return user.AccessRules{
		AllowIPs: []string{"203.0.113.0/24", "10.0.0.1", "2001:db8::/32", "10.0.0.1"},
		DenyIPs:  []string{"203.0.113.99"},
		Schedule: []string{"Sat-Sun 10:00-12:00", "Mon-Fri 06:00-18:00"},
		TimeZone: "America/New_York",
	}
}

func countRows(t *testing.T, s *Store, table string) int {
	t.Helper()
	var n int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM ` + table).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

// TestUpgradeFromVersion4 opens a database as the release before access
// rules left it: existing users and groups read back with no rules and no
// validity start, and can be given rules afterwards.
func TestUpgradeFromVersion4(t *testing.T) {
	ctx := context.Background()
	s := upgradeFrom(t, 4, `INSERT INTO groups (name, name_key, created_at, updated_at) VALUES ('Staff', 'staff', 1, 2);
		INSERT INTO users (name, name_key, password_hash, created_at, updated_at, password_changed_at, valid_until)
			VALUES ('Veteran', 'veteran', '$argon2id$x', 1, 2, 3, 4000000000000000000);
		INSERT INTO user_groups (user_id, group_id) SELECT u.id, g.id FROM users u, groups g;
		UPDATE generation SET value = 7 WHERE id = 1`)
	u, err := s.GetUser(ctx, "veteran")
	if err != nil {
		t.Fatal(err)
	}
	if !u.ValidFrom.IsZero() || !reflect.DeepEqual(u.Access, user.AccessRules{}) {
		t.Errorf("upgraded user ValidFrom %v, Access %#v; want zero", u.ValidFrom, u.Access)
	}
	if !u.ValidUntil.Equal(time.Unix(0, 4000000000000000000)) || len(u.Groups) != 1 {
		t.Errorf("upgraded user lost fields: %+v", u)
	}
	g, err := s.GetGroup(ctx, "staff")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(g.Access, user.AccessRules{}) {
		t.Errorf("upgraded group Access %#v; want zero", g.Access)
	}
	if gen, err := s.Generation(ctx); err != nil || gen != 7 {
		t.Errorf("Generation after upgrade = %d, %v; want 7", gen, err)
	}

	u.Access, g.Access = sampleAccess(), sampleAccess()
	if err := s.UpdateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	if err := s.UpdateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	if u2, _ := s.GetUser(ctx, "veteran"); !reflect.DeepEqual(u2.Access, sampleAccess()) {
		t.Errorf("rules on upgraded user = %#v", u2.Access)
	}
	if g2, _ := s.GetGroup(ctx, "staff"); !reflect.DeepEqual(g2.Access, sampleAccess()) {
		t.Errorf("rules on upgraded group = %#v", g2.Access)
	}
	var problems int
	if err := s.db.QueryRow(`SELECT COUNT(*) FROM pragma_foreign_key_check`).Scan(&problems); err != nil || problems != 0 {
		t.Errorf("foreign key check: %d problems, %v", problems, err)
	}
}

func TestUserAccessRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	from := time.Date(2025, 9, 1, 8, 30, 0, 123456789, time.FixedZone("x", -4*3600))
	u := &user.User{Name: "erin", PasswordHash: "h", ValidFrom: from, Access: sampleAccess()}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	// A second user with other rules checks that ListUsers gives each its own.
	other := &user.User{Name: "bob", PasswordHash: "h", Access: user.AccessRules{DenyIPs: []string{"192.0.2.1"}}}
	if err := s.CreateUser(ctx, other); err != nil {
		t.Fatal(err)
	}

	got, err := s.GetUser(ctx, "Erin")
	if err != nil {
		t.Fatal(err)
	}
	if !got.ValidFrom.Equal(from) || got.ValidFrom.Location() != time.UTC {
		t.Errorf("ValidFrom = %v, want %v in UTC", got.ValidFrom, from)
	}
	if !reflect.DeepEqual(got.Access, sampleAccess()) {
		t.Errorf("Access = %#v\nwant %#v", got.Access, sampleAccess())
	}
	list, err := s.ListUsers(ctx)
	if err != nil || len(list) != 2 {
		t.Fatalf("ListUsers = %v, %v", list, err)
	}
	if want := (user.AccessRules{DenyIPs: []string{"192.0.2.1"}}); !reflect.DeepEqual(list[0].Access, want) {
		t.Errorf("listed bob Access = %#v, want %#v", list[0].Access, want)
	}
	if !reflect.DeepEqual(list[1].Access, sampleAccess()) || !list[1].ValidFrom.Equal(from) {
		t.Errorf("listed erin = %#v, %v", list[1].Access, list[1].ValidFrom)
	}

	// An update replaces every list; empty and nil lists both read back nil.
	got.ValidFrom = time.Time{}
	got.Access = user.AccessRules{AllowIPs: []string{"198.51.100.0/24"}, DenyIPs: []string{}, Schedule: nil}
	if err := s.UpdateUser(ctx, got); err != nil {
		t.Fatalf("UpdateUser: %v", err)
	}
	again, err := s.GetUser(ctx, "erin")
	if err != nil {
		t.Fatal(err)
	}
	want := user.AccessRules{AllowIPs: []string{"198.51.100.0/24"}}
	if !again.ValidFrom.IsZero() || !reflect.DeepEqual(again.Access, want) {
		t.Errorf("after update: ValidFrom %v, Access %#v; want zero, %#v", again.ValidFrom, again.Access, want)
	}
	if n := countRows(t, s, "user_access"); n != 2 {
		t.Errorf("user_access has %d rows, want 2 (1 for erin, 1 for bob)", n)
	}
}

func TestGroupAccessRoundTrip(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	g := &user.Group{Name: "night", Access: sampleAccess()}
	if err := s.CreateGroup(ctx, g); err != nil {
		t.Fatalf("CreateGroup: %v", err)
	}
	plain := mustGroup(t, s, "day")

	got, err := s.GetGroup(ctx, "NIGHT")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(got.Access, sampleAccess()) {
		t.Errorf("Access = %#v\nwant %#v", got.Access, sampleAccess())
	}
	list, err := s.ListGroups(ctx)
	if err != nil || len(list) != 2 || list[0].ID != plain.ID {
		t.Fatalf("ListGroups = %v, %v", list, err)
	}
	if !reflect.DeepEqual(list[0].Access, user.AccessRules{}) || !reflect.DeepEqual(list[1].Access, sampleAccess()) {
		t.Errorf("listed Access = %#v, %#v", list[0].Access, list[1].Access)
	}

	got.Access = user.AccessRules{Schedule: []string{"Mon 00:00-01:00"}, AllowIPs: []string{}}
	if err := s.UpdateGroup(ctx, got); err != nil {
		t.Fatalf("UpdateGroup: %v", err)
	}
	again, err := s.GetGroup(ctx, "night")
	if err != nil {
		t.Fatal(err)
	}
	if want := (user.AccessRules{Schedule: []string{"Mon 00:00-01:00"}}); !reflect.DeepEqual(again.Access, want) {
		t.Errorf("after update Access = %#v, want %#v", again.Access, want)
	}
}

func TestAccessInvalid(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	u := &user.User{Name: "frank", PasswordHash: "h", Access: sampleAccess()}
	if err := s.CreateUser(ctx, u); err != nil {
		t.Fatal(err)
	}
	g := &user.Group{Name: "ops", Access: sampleAccess()}
	if err := s.CreateGroup(ctx, g); err != nil {
		t.Fatal(err)
	}
	bad := []struct {
		name string
		r    user.AccessRules
	}{
		{"empty allow", user.AccessRules{AllowIPs: []string{"10.0.0.1", ""}}},
		{"empty deny", user.AccessRules{DenyIPs: []string{""}}},
		{"empty window", user.AccessRules{Schedule: []string{""}}},
		{"newline", user.AccessRules{AllowIPs: []string{"10.0.0.1\nforged"}}},
		{"delete char", user.AccessRules{DenyIPs: []string{"10.0.0.1\x7f"}}},
		{"C1 control", user.AccessRules{Schedule: []string{"Mon\u0085"}}},
		{"invalid UTF-8", user.AccessRules{Schedule: []string{"Mon \xff"}}},
		{"zone with tab", user.AccessRules{TimeZone: "Europe/\tParis"}},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			if err := s.CreateUser(ctx, &user.User{Name: "new", PasswordHash: "h", Access: tc.r}); err == nil {
				t.Error("CreateUser accepted")
			}
			if err := s.CreateGroup(ctx, &user.Group{Name: "new", Access: tc.r}); err == nil {
				t.Error("CreateGroup accepted")
			}
			u2, g2 := *u, *g
			u2.Access, g2.Access = tc.r, tc.r
			if err := s.UpdateUser(ctx, &u2); err == nil {
				t.Error("UpdateUser accepted")
			}
			if err := s.UpdateGroup(ctx, &g2); err == nil {
				t.Error("UpdateGroup accepted")
			}
		})
	}
	// Nothing was written: the old rules stand and no "new" row exists.
	if got, _ := s.GetUser(ctx, "frank"); !reflect.DeepEqual(got.Access, sampleAccess()) {
		t.Errorf("user rules changed: %#v", got.Access)
	}
	if got, _ := s.GetGroup(ctx, "ops"); !reflect.DeepEqual(got.Access, sampleAccess()) {
		t.Errorf("group rules changed: %#v", got.Access)
	}
	if n, _ := s.CountUsers(ctx); n != 1 {
		t.Errorf("%d users, want 1", n)
	}

	far := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	err := s.CreateUser(ctx, &user.User{Name: "late", PasswordHash: "h", ValidFrom: far})
	if err == nil || !strings.Contains(err.Error(), "valid from") {
		t.Errorf("ValidFrom in 9999: %v", err)
	}
	// The schema refuses what the code would never write.
	if _, err := s.db.Exec(`INSERT INTO user_access (user_id, kind, position, value) VALUES (?, 'maybe', 9, 'x')`, u.ID); err == nil {
		t.Error("unknown kind accepted by the schema")
	}
	if _, err := s.db.Exec(`INSERT INTO group_access (group_id, kind, position, value) VALUES (?, 'allow', 9, '')`, g.ID); err == nil {
		t.Error("empty value accepted by the schema")
	}
}

func TestAccessCascade(t *testing.T) {
	ctx := context.Background()
	s, _ := openTemp(t)
	for _, name := range []string{"a", "b"} {
		if err := s.CreateUser(ctx, &user.User{Name: name, PasswordHash: "h", Access: sampleAccess()}); err != nil {
			t.Fatal(err)
		}
		if err := s.CreateGroup(ctx, &user.Group{Name: name, Access: sampleAccess()}); err != nil {
			t.Fatal(err)
		}
	}
	per := len(sampleAccess().AllowIPs) + len(sampleAccess().DenyIPs) + len(sampleAccess().Schedule)
	if n := countRows(t, s, "user_access"); n != 2*per {
		t.Fatalf("user_access has %d rows, want %d", n, 2*per)
	}
	if err := s.DeleteUser(ctx, "a"); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteGroup(ctx, "A"); err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, s, "user_access"); n != per {
		t.Errorf("after deleting a user, user_access has %d rows, want %d", n, per)
	}
	if n := countRows(t, s, "group_access"); n != per {
		t.Errorf("after deleting a group, group_access has %d rows, want %d", n, per)
	}
	if u, _ := s.GetUser(ctx, "b"); !reflect.DeepEqual(u.Access, sampleAccess()) {
		t.Errorf("the other user's rules changed: %#v", u.Access)
	}
}

// TestAccessGeneration checks that a change of only the access rules or
// the validity start is seen, through another Store on the same file, as a
// change of generation: a running server reloads the account at its next
// check.
func TestAccessGeneration(t *testing.T) {
	ctx := context.Background()
	a, path := openTemp(t)
	b, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close()
	u := &user.User{Name: "gina", PasswordHash: "h"}
	g := &user.Group{Name: "crew"}
	steps := []struct {
		name string
		do   func() error
	}{
		{"create user with rules", func() error { u.Access = sampleAccess(); return a.CreateUser(ctx, u) }},
		{"create group with rules", func() error { g.Access = sampleAccess(); return a.CreateGroup(ctx, g) }},
		{"user allow list", func() error { u.Access.AllowIPs = []string{"192.0.2.0/24"}; return a.UpdateUser(ctx, u) }},
		{"user time zone", func() error { u.Access.TimeZone = "UTC"; return a.UpdateUser(ctx, u) }},
		{"user valid from", func() error { u.ValidFrom = time.Now(); return a.UpdateUser(ctx, u) }},
		{"group schedule", func() error { g.Access.Schedule = nil; return a.UpdateGroup(ctx, g) }},
		{"group deny list", func() error { g.Access.DenyIPs = []string{"198.51.100.7"}; return a.UpdateGroup(ctx, g) }},
	}
	prev, err := b.Generation(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		cur, err := b.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if cur <= prev {
			t.Errorf("%s: generation %d -> %d, want an increase", st.name, prev, cur)
		}
		prev = cur
	}
}
