package main

import (
	"context"
	"encoding/json"
	"github.com/bulwark-ftp/bulwark/internal/admin"
	"strings"
	"testing"
	"time"
)

func TestSessionList(t *testing.T) {
	e := newEnv(t)
	t.Setenv(adminTokenEnv, "")
	f := newFakeAdmin(t, e)
	cfg := writeAdminConfig(t, serveTCP(t, f), "")

	r := e.okAt(t0, "--config", cfg, "session", "list")
	lines := strings.Split(strings.TrimRight(r.stdout, "\n"), "\n")
	want := []string{
		"ID  USER   REMOTE             TLS      SINCE  TRANSFER",
		"7   alice  203.0.113.7:50123  TLS 1.3  5m     RETR /big.bin 12.3 MiB at 45.6 MiB/s",
		"8   -      198.51.100.2:4000  no       2h05m  -",
	}
	if strings.Join(lines, "\n") != strings.Join(want, "\n") {
		t.Errorf("table:\n%s\nwant:\n%s", r.stdout, strings.Join(want, "\n"))
	}

	r = e.okAt(t0, "--config", cfg, "session", "list", "--json")
	var got []admin.Session
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if len(got) != 2 || got[0].ID != "7" || got[0].TLSCipher != "TLS_AES_128_GCM_SHA256" || got[0].Transfer == nil ||
		got[0].Transfer.Bytes != 12897485 || got[1].Transfer != nil || !got[1].Started.Equal(t0.Add(-125*time.Minute)) {
		t.Errorf("--json decoded: %+v", got)
	}
	// The JSON keeps the API's field names, transfer null when idle.
	for _, key := range []string{`"tls_version"`, `"rate_bytes_per_second"`, `"transfer": null`} {
		if !strings.Contains(r.stdout, key) {
			t.Errorf("--json lacks %s:\n%s", key, r.stdout)
		}
	}
}

func TestSessionListEmpty(t *testing.T) {
	e := newEnv(t)
	t.Setenv(adminTokenEnv, "")
	cfg := writeAdminConfig(t, serveTCP(t, httpJSON(`[]`)), "")
	if r := e.okAt(t0, "--config", cfg, "session", "list"); r.stdout != "no sessions\n" {
		t.Errorf("empty: %q", r.stdout)
	}
	cfg = writeAdminConfig(t, serveTCP(t, httpJSON(`null`)), "")
	if r := e.okAt(t0, "--config", cfg, "session", "list", "--json"); strings.TrimSpace(r.stdout) != "[]" {
		t.Errorf("empty --json: %q", r.stdout)
	}
}

func TestSessionKill(t *testing.T) {
	e := newEnv(t)
	t.Setenv(adminTokenEnv, "")
	f := newFakeAdmin(t, e)
	f.extra = "bwk_own"
	cfg := writeAdminConfig(t, serveTCP(t, f), "")

	r := e.okAt(t0, "--config", cfg, "session", "kill", "7", "--reason", "too greedy")
	if r.stdout != "session 7 closed\n" {
		t.Errorf("kill: %q", r.stdout)
	}
	reqs := f.requests()
	if len(reqs) != 1 || reqs[0].method != "DELETE" || reqs[0].path != "/api/v1/sessions/7" || reqs[0].reason != "too greedy" ||
		reqs[0].readOnly {
		t.Errorf("requests %+v", reqs)
	}
	// The server records the kill, under the temporary token's name,
	// which names the person at the command line; the command line adds
	// no second entry.
	entries, err := f.st.ListAudit(context.Background(), time.Time{}, 0)
	if err != nil || len(entries) != 0 {
		t.Fatalf("audit: %+v, %v", entries, err)
	}

	r = e.tryAt(t0, "--config", cfg, "session", "kill", "99")
	if r.code != exitError || r.stderr != "bulwark: session \"99\": no such session (see \"bulwark session list\")\n" {
		t.Errorf("unknown session: exit %d, %q", r.code, r.stderr)
	}
	// An ID that is not a plain word reaches the server as one path segment.
	e.tryAt(t0, "--config", cfg, "session", "kill", "a/b c")
	if reqs := f.requests(); reqs[len(reqs)-1].path != "/api/v1/sessions/a%2Fb%20c" {
		t.Errorf("escaped path %q", reqs[len(reqs)-1].path)
	}

	// With a token of one's own, likewise.
	e.okAt(t0, "--config", cfg, "session", "kill", "7", "--token", "bwk_own")
	if entries, _ := f.st.ListAudit(context.Background(), time.Time{}, 0); len(entries) != 0 {
		t.Errorf("%d audit entries, want none", len(entries))
	}

	for _, args := range [][]string{{"session", "kill"}, {"session", "kill", "1", "2"}, {"session", "kill", "1", "--reason", "a\nb"}} {
		if r := e.run("", append([]string{"--config", cfg}, args...)...); r.code != exitUsage {
			t.Errorf("%v: exit %d, want %d", args, r.code, exitUsage)
		}
	}
}

func TestAgeAndTransferText(t *testing.T) {
	for d, want := range map[time.Duration]string{
		-time.Second: "0s", 0: "0s", 42 * time.Second: "42s", 5*time.Minute + 59*time.Second: "5m",
		2*time.Hour + 5*time.Minute: "2h05m", 3*24*time.Hour + 4*time.Hour + 10*time.Minute: "3d04h",
	} {
		if got := ageText(d); got != want {
			t.Errorf("ageText(%v) = %q, want %q", d, got, want)
		}
	}
	if got := transferText(nil); got != "-" {
		t.Errorf("idle: %q", got)
	}
	tr := &admin.Transfer{Command: "STOR", Path: "/in/a b.txt", Bytes: 512, Rate: 0}
	if got := transferText(tr); got != "STOR /in/a b.txt 512 B at 0 B/s" {
		t.Errorf("upload: %q", got)
	}
}
