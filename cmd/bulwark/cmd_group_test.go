package main

import (
	"reflect"
	"strings"
	"testing"
)

func TestGroupLifecycle(t *testing.T) {
	e := newEnv(t)
	if r := e.ok("", "group", "list"); r.stdout != "no groups\n" {
		t.Errorf("empty list: %q", r.stdout)
	}
	r := e.ok("", "group", "add", "staff", "--perm", "/=read", "--perm", "/inbox=read,upload", "--comment", "all employees")
	if r.stdout != "group \"staff\" created\n" {
		t.Errorf("add output: %q", r.stdout)
	}
	e.ok("", "group", "add", "empty")
	if r := e.run("", "group", "add", "STAFF"); r.code != exitError || !strings.Contains(r.stderr, `group "STAFF": already exists`) {
		t.Errorf("duplicate: exit %d, %q", r.code, r.stderr)
	}
	if r := e.run("", "group", "add", "a b"); r.code != exitError || !strings.Contains(r.stderr, `group "a b": invalid name: character ' ' not allowed`) {
		t.Errorf("invalid name: exit %d, %q", r.code, r.stderr)
	}
	e.addUser("alice", "--group", "staff")
	e.addUser("bob", "--group", "staff")
	e.ok("", "share", "add", "projects", "--path", t.TempDir())
	e.ok("", "share", "grant", "projects", "--group", "staff", "--at", "/projects", "--perm", "read")

	var list []groupJSON
	e.jsonOf(&list, "group", "list", "--json")
	if len(list) != 2 || list[0].Name != "empty" || list[1].Name != "staff" || list[1].Members != 2 ||
		list[1].Comment != "all employees" || !reflect.DeepEqual(list[1].Perms, []ruleJSON{{"/", "read"}, {"/inbox", "read,upload"}}) ||
		list[0].Perms == nil {
		t.Errorf("list --json: %+v", list)
	}
	r = e.ok("", "group", "list")
	for _, want := range []string{"NAME", "MEMBERS", "RULES", "staff", "/=read /inbox=read,upload", "all employees"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list lacks %q:\n%s", want, r.stdout)
		}
	}

	var shown groupShowJSON
	e.jsonOf(&shown, "group", "show", "staff", "--json")
	wantGrants := []grantJSON{{Share: "projects", Grantee: "group:staff", At: "/projects", Rights: "read"}}
	if !reflect.DeepEqual(shown.Members, []string{"alice", "bob"}) || !reflect.DeepEqual(shown.Grants, wantGrants) ||
		len(shown.Perms) != 2 {
		t.Errorf("show --json: %+v", shown)
	}
	r = e.ok("", "group", "show", "staff")
	for _, want := range []string{"members:", "2: alice, bob", "rules:", "/inbox", "shared folders:", "share projects", "at /projects", "no limits"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}

	// set: clear, unset, set, comment.
	e.ok("", "group", "set", "staff", "--unset-perm", "/inbox", "--perm", "/archive=none", "--comment", "")
	e.jsonOf(&shown, "group", "show", "staff", "--json")
	if !reflect.DeepEqual(shown.Perms, []ruleJSON{{"/", "read"}, {"/archive", "none"}}) || shown.Comment != "" {
		t.Errorf("after set: %+v", shown)
	}
	e.ok("", "group", "set", "staff", "--clear-perms", "--perm", "/=list")
	e.jsonOf(&shown, "group", "show", "staff", "--json")
	if !reflect.DeepEqual(shown.Perms, []ruleJSON{{"/", "list"}}) {
		t.Errorf("after clear: %+v", shown.Perms)
	}
	if r := e.run("", "group", "set", "staff", "--unset-perm", "/gone"); r.code != exitError || !strings.Contains(r.stderr, "no rule at /gone") {
		t.Errorf("unset missing: exit %d, %q", r.code, r.stderr)
	}

	// del: asks; members keep their accounts.
	if r := e.run("", "group", "del", "staff"); r.code != exitError || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("del without --yes: exit %d, %q", r.code, r.stderr)
	}
	ft := &fakeTerm{lines: []string{"n"}}
	r = e.runApp(func(a *app) { a.term = ft }, "", "group", "del", "staff")
	if r.code != exitError || !strings.Contains(strings.Join(ft.prompts, ""), "members (2) keep their accounts") ||
		!strings.Contains(strings.Join(ft.prompts, ""), "shared-folder grants (1) are removed") {
		t.Errorf("del answered no: exit %d, %q, prompts %q", r.code, r.stderr, ft.prompts)
	}
	r = e.ok("", "group", "del", "staff", "--yes")
	if r.stdout != "group \"staff\" deleted; its members (2) keep their accounts\n" {
		t.Errorf("del output: %q", r.stdout)
	}
	if g := e.storedUser("alice").Groups; len(g) != 0 {
		t.Errorf("alice still in %v", g)
	}
	var sh shareShowJSON
	e.jsonOf(&sh, "share", "show", "projects", "--json")
	if len(sh.Grants) != 0 {
		t.Errorf("grant of a deleted group kept: %+v", sh.Grants)
	}
	if r := e.run("", "group", "show", "staff"); r.code != exitError || r.stderr != "bulwark: group \"staff\": not found\n" {
		t.Errorf("show after del: exit %d, %q", r.code, r.stderr)
	}
}
