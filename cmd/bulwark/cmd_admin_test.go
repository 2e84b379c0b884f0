package main

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/admin"
)

func TestAdminTokenLifecycle(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()

	r := e.okAt(t0, "admin", "token", "create", "ops", "--expires", "30d")
	tok := strings.TrimSuffix(r.stdout, "\n")
	if !strings.HasPrefix(tok, admin.TokenPrefix) || strings.ContainsAny(tok, " \n") {
		t.Fatalf("stdout %q: want the token alone", r.stdout)
	}
	if !strings.Contains(r.stderr, `token "ops" created`) || !strings.Contains(r.stderr, "only this once") {
		t.Errorf("stderr: %q", r.stderr)
	}
	st := e.db()
	got, err := st.TokenByHash(ctx, admin.HashToken(tok))
	if err != nil || got.Name != "ops" || !got.CreatedAt.Equal(t0) || !got.ExpiresAt.Equal(t0.Add(30*24*time.Hour)) {
		t.Fatalf("stored token %+v, %v", got, err)
	}
	e.okAt(t0, "admin", "token", "create", "ci")

	if r := e.tryAt(t0, "admin", "token", "create", "ops"); r.code != exitError || !strings.Contains(r.stderr, `token "ops": already exists`) {
		t.Errorf("duplicate: exit %d, %q", r.code, r.stderr)
	}

	later := t0.Add(31 * 24 * time.Hour)
	if err := st.TouchToken(ctx, "ci", t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	r = e.okAt(later, "admin", "token", "list")
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "NAME") || !strings.HasSuffix(lines[0], "LAST USED") {
		t.Fatalf("list:\n%s", r.stdout)
	}
	if !strings.HasPrefix(lines[1], "ci ") || !strings.Contains(lines[1], "never  ") || !strings.Contains(lines[1], formatTime(t0.Add(time.Hour))) {
		t.Errorf("ci row: %q", lines[1])
	}
	if !strings.HasPrefix(lines[2], "ops ") || !strings.Contains(lines[2], "(expired)") || !strings.HasSuffix(lines[2], "never") {
		t.Errorf("ops row: %q", lines[2])
	}

	var list []map[string]any
	rr := e.okAt(later, "admin", "token", "list", "--json")
	if err := json.Unmarshal([]byte(rr.stdout), &list); err != nil || len(list) != 2 {
		t.Fatalf("list --json: %v\n%s", err, rr.stdout)
	}
	if list[0]["name"] != "ci" || list[0]["expires_at"] != nil || list[0]["expired"] != false || list[0]["last_used_at"] == nil {
		t.Errorf("ci json: %v", list[0])
	}
	if list[1]["name"] != "ops" || list[1]["expired"] != true {
		t.Errorf("ops json: %v", list[1])
	}
	for _, out := range []string{r.stdout, rr.stdout} {
		if strings.Contains(out, got.Hash) || strings.Contains(out, tok) {
			t.Errorf("list shows a secret:\n%s", out)
		}
	}

	r = e.okAt(t0, "admin", "token", "revoke", "ops")
	if r.stdout != "token \"ops\" revoked\n" {
		t.Errorf("revoke: %q", r.stdout)
	}
	if _, err := st.TokenByHash(ctx, admin.HashToken(tok)); err == nil {
		t.Error("revoked token still stored")
	}
	if r := e.tryAt(t0, "admin", "token", "revoke", "ops"); r.code != exitError || !strings.Contains(r.stderr, `token "ops": not found`) {
		t.Errorf("revoke again: exit %d, %q", r.code, r.stderr)
	}
	// The token itself appeared only once, in the output of create.
	n := 0
	for _, out := range e.outputs {
		n += strings.Count(out, tok)
	}
	if n != 1 {
		t.Errorf("the token appeared %d times in the outputs", n)
	}
}

func TestAdminTokenUsage(t *testing.T) {
	e := newEnv(t)
	for _, args := range [][]string{
		{"admin", "token", "create"},
		{"admin", "token", "create", "x", "--expires", "soon"},
		{"admin", "token", "create", "x", "--expires", "0d"},
		{"admin", "token", "revoke"},
		{"admin", "token", "list", "x"},
		{"admin", "nothing"},
	} {
		if r := e.run("", args...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d (%s)", args, r.code, exitUsage, r.stderr)
		}
	}
	if r := e.run("", "admin", "token", "create", "bad name"); r.code != exitError || !strings.Contains(r.stderr, "invalid name") {
		t.Errorf("bad name: exit %d, %q", r.code, r.stderr)
	}
	if r := e.ok("", "admin", "token", "list"); strings.TrimSpace(r.stdout) != "no tokens" {
		t.Errorf("empty list: %q", r.stdout)
	}
}
