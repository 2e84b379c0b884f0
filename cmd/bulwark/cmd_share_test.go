package main

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

func TestShareLifecycle(t *testing.T) {
	e := newEnv(t)
	if r := e.ok("", "share", "list"); r.stdout != "no shares\n" {
		t.Errorf("empty list: %q", r.stdout)
	}

	// A relative path is taken from the working directory and stored
	// absolute; a missing one needs --create.
	r := e.run("", "share", "add", "projects", "--path", "data/projects")
	if r.code != exitError || !strings.Contains(r.stderr, `--path "data/projects": no such directory (add --create to create it)`) {
		t.Errorf("missing dir: exit %d, %q", r.code, r.stderr)
	}
	r = e.ok("", "share", "add", "projects", "--path", "data/projects", "--create", "--comment", "team work")
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(wd, "data", "projects")
	if r.stdout != "share \"projects\" created for "+dir+"\n" {
		t.Errorf("add output: %q", r.stdout)
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || fi.Mode().Perm() != shareDirMode {
		t.Errorf("--create: %v, %v", fi, err)
	}
	file := filepath.Join(wd, "plain-file")
	if err := os.WriteFile(file, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := e.run("", "share", "add", "f", "--path", file, "--create"); r.code != exitError || !strings.Contains(r.stderr, "not a directory") {
		t.Errorf("file as share: exit %d, %q", r.code, r.stderr)
	}
	if r := e.run("", "share", "add", "Projects", "--path", dir); r.code != exitError || !strings.Contains(r.stderr, `share "Projects": already exists`) {
		t.Errorf("duplicate: exit %d, %q", r.code, r.stderr)
	}
	if r := e.run("", "share", "add", "../x", "--path", dir); r.code != exitError || !strings.Contains(r.stderr, `share "../x": invalid name`) {
		t.Errorf("bad name: exit %d, %q", r.code, r.stderr)
	}

	e.addUser("alice")
	e.addUser("bob")
	e.ok("", "group", "add", "staff")

	// grant, then grant again: rights replaced, limits kept unless given.
	r = e.ok("", "share", "grant", "projects", "--group", "staff", "--at", "/projects/", "--perm", "read,upload", "--max-bytes", "1G", "--max-files", "100")
	if r.stdout != "share \"projects\" granted to group:staff at /projects: read,upload, at most 1 GiB, 100 files\n" {
		t.Errorf("grant output: %q", r.stdout)
	}
	r = e.ok("", "share", "grant", "projects", "--group", "STAFF", "--at", "/projects", "--perm", "read", "--max-files", "0")
	if !strings.Contains(r.stdout, "grant updated for group:staff at /projects: read, at most 1 GiB\n") {
		t.Errorf("regrant output: %q", r.stdout)
	}
	e.ok("", "share", "grant", "projects", "--user", "ALICE", "--at", "/p", "--perm", "all", "--max-file-size", "10M")
	e.ok("", "share", "grant", "projects", "--user", "alice", "--at", "/mirror", "--perm", "list")

	// Another share at a mount point the grantee already uses is refused.
	e.ok("", "share", "add", "other", "--path", t.TempDir())
	r = e.run("", "share", "grant", "other", "--user", "alice", "--at", "/p", "--perm", "read")
	if r.code != exitError || !strings.Contains(r.stderr, `--at "/p": user:alice already has share "projects" there`) {
		t.Errorf("two shares at one point: exit %d, %q", r.code, r.stderr)
	}

	var list []shareJSON
	e.jsonOf(&list, "share", "list", "--json")
	if len(list) != 2 || list[1].Name != "projects" || list[1].Path != dir || list[1].Grants != 3 ||
		list[1].Comment != "team work" || list[0].Grants != 0 {
		t.Errorf("list --json: %+v", list)
	}
	r = e.ok("", "share", "list")
	for _, want := range []string{"NAME", "PATH", "GRANTS", "projects", dir, "team work"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("list lacks %q:\n%s", want, r.stdout)
		}
	}

	var shown shareShowJSON
	e.jsonOf(&shown, "share", "show", "projects", "--json")
	wantGrants := []grantJSON{
		{Share: "projects", Grantee: "user:alice", At: "/mirror", Rights: "list"},
		{Share: "projects", Grantee: "user:alice", At: "/p", Rights: "all", Limits: limitsJSON{MaxFileSize: 10 << 20}},
		{Share: "projects", Grantee: "group:staff", At: "/projects", Rights: "read", Limits: limitsJSON{MaxBytes: 1 << 30}},
	}
	if !reflect.DeepEqual(shown.Grants, wantGrants) || shown.Usage != (usageJSON{}) || shown.Path != dir {
		t.Errorf("show --json: %+v\nwant grants %+v", shown, wantGrants)
	}
	r = e.ok("", "share", "show", "projects")
	for _, want := range []string{"usage:", "not counted yet", "grants:", "group:staff", "at /projects", "at most 1 GiB", "10 MiB per file"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}

	// revoke: one mount point, then all of a grantee's.
	r = e.ok("", "share", "revoke", "projects", "--user", "alice", "--at", "/p")
	if r.stdout != "share \"projects\" revoked from user:alice at /p\n" {
		t.Errorf("revoke output: %q", r.stdout)
	}
	if r := e.run("", "share", "revoke", "projects", "--user", "alice", "--at", "/p"); r.code != exitError ||
		r.stderr != "bulwark: share \"projects\": no grant to user:alice at /p\n" {
		t.Errorf("second revoke: exit %d, %q", r.code, r.stderr)
	}
	if r := e.run("", "share", "revoke", "projects", "--user", "bob"); r.code != exitError || !strings.Contains(r.stderr, "no grant to user:bob") {
		t.Errorf("revoke from bob: exit %d, %q", r.code, r.stderr)
	}
	e.ok("", "share", "revoke", "projects", "--user", "alice")
	e.jsonOf(&shown, "share", "show", "projects", "--json")
	if len(shown.Grants) != 1 || shown.Grants[0].Grantee != "group:staff" {
		t.Errorf("after revokes: %+v", shown.Grants)
	}

	// set: a new directory, a new comment.
	moved := t.TempDir()
	e.ok("", "share", "set", "projects", "--path", moved, "--comment", "")
	e.jsonOf(&shown, "share", "show", "projects", "--json")
	if shown.Path != moved || shown.Comment != "" {
		t.Errorf("after set: %+v", shown)
	}
	if r := e.run("", "share", "set", "projects", "--path", filepath.Join(moved, "nope")); r.code != exitError || !strings.Contains(r.stderr, "--create") {
		t.Errorf("set to a missing dir: exit %d, %q", r.code, r.stderr)
	}

	// del keeps the files and says so.
	keep := filepath.Join(moved, "report.txt")
	if err := os.WriteFile(keep, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := e.run("", "share", "del", "projects"); r.code != exitError || !strings.Contains(r.stderr, "--yes") {
		t.Errorf("del without --yes: exit %d, %q", r.code, r.stderr)
	}
	r = e.ok("", "share", "del", "projects", "-y")
	if r.stdout != "share \"projects\" deleted with its grants (1); the files in "+moved+" are kept\n" {
		t.Errorf("del output: %q", r.stdout)
	}
	if _, err := os.Stat(keep); err != nil {
		t.Errorf("del removed files: %v", err)
	}
	var us userShowJSON
	e.jsonOf(&us, "user", "show", "alice", "--json")
	if len(us.Mounts) != 0 {
		t.Errorf("mounts of a deleted share: %+v", us.Mounts)
	}
}
