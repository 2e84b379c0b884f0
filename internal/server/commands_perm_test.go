package server_test

import (
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// step is one command of a scripted dialogue. Commands that open a data
// connection get one (EPSV first); upload carries the bytes to send.
type step struct {
	cmd    string
	data   bool
	upload string
	want   int
}

// run sends a step and returns the final reply code and text: for a data
// command that was accepted (150), the reply after the transfer.
func (r *rawConn) run(s step) (int, string) {
	r.t.Helper()
	if !s.data {
		return r.c.Send(s.cmd)
	}
	dc := r.c.OpenPassiveData()
	code, text := r.c.Send(s.cmd)
	if code != 150 {
		dc.Close()
		return code, text
	}
	tc, err := r.c.DataTLS(dc)
	if err != nil {
		r.t.Fatalf("%s: data TLS: %v", s.cmd, err)
	}
	if s.data && s.upload != "" {
		io.WriteString(tc, s.upload)
		tc.Close()
	} else {
		io.Copy(io.Discard, tc)
		tc.Close()
	}
	return r.c.ReadReply()
}

// Every path-taking command is checked by the one permission layer; this
// walks them all for an upload-only partner and a read-only user, and
// checks that refused commands change nothing.
func TestEveryCommandIsChecked(t *testing.T) {
	partner := []step{
		{cmd: "STOR new.csv", data: true, upload: "n", want: 226},
		{cmd: "STOU", data: true, upload: "u", want: 226},
		{cmd: "STOR old.csv", data: true, upload: "x", want: 550},
		{cmd: "APPE old.csv", data: true, upload: "x", want: 550},
		{cmd: "REST 3", want: 350},
		{cmd: "STOR old.csv", data: true, upload: "x", want: 550},
		{cmd: "RETR old.csv", data: true, want: 550},
		{cmd: "LIST", data: true, want: 550},
		{cmd: "NLST", data: true, want: 550},
		{cmd: "MLSD", data: true, want: 550},
		{cmd: "MLST old.csv", want: 550},
		{cmd: "STAT old.csv", want: 550},
		{cmd: "SIZE old.csv", want: 550},
		{cmd: "MDTM old.csv", want: 550},
		{cmd: "MFMT 20200101000000 old.csv", want: 550},
		{cmd: "HASH old.csv", want: 550},
		{cmd: "DELE old.csv", want: 550},
		{cmd: "RMD sub", want: 550},
		{cmd: "MKD newdir", want: 550},
		{cmd: "RNFR old.csv", want: 550},
		{cmd: "SITE CHMOD 600 old.csv", want: 550},
		{cmd: "CWD sub", want: 250},
		{cmd: "CWD /", want: 250},
	}
	reader := []step{
		{cmd: "STOR new.csv", data: true, upload: "n", want: 550},
		{cmd: "STOU", data: true, upload: "u", want: 550},
		{cmd: "APPE old.csv", data: true, upload: "x", want: 550},
		{cmd: "RETR old.csv", data: true, want: 226},
		{cmd: "LIST", data: true, want: 226},
		{cmd: "NLST", data: true, want: 226},
		{cmd: "MLSD", data: true, want: 226},
		{cmd: "MLST old.csv", want: 250},
		{cmd: "SIZE old.csv", want: 213},
		{cmd: "MDTM old.csv", want: 213},
		{cmd: "HASH old.csv", want: 213},
		{cmd: "MFMT 20200101000000 old.csv", want: 550},
		{cmd: "DELE old.csv", want: 550},
		{cmd: "RMD sub", want: 550},
		{cmd: "MKD newdir", want: 550},
		{cmd: "RNFR old.csv", want: 350},
		{cmd: "RNTO renamed.csv", want: 550},
		{cmd: "SITE CHMOD 600 old.csv", want: 550},
		{cmd: "CWD sub", want: 250},
		// A hidden directory looks like a missing one.
		{cmd: "CWD /private", want: 550},
		{cmd: "RETR /private/secret.txt", data: true, want: 550},
		{cmd: "SIZE /private/secret.txt", want: 550},
	}
	for _, tc := range []struct {
		name  string
		perms []string
		steps []step
	}{
		{"upload-only", []string{"/=upload"}, partner},
		{"read-only", []string{"/=read", "/private=none"}, reader},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := servertest.New(t)
			e.AddUser(t, "u", "User-Pass-1", func(u *user.User) { u.Perms = perms(t, tc.perms...) })
			writeHomeFile(t, e, "u", "old.csv", "original")
			writeHomeFile(t, e, "u", "sub/keep.txt", "k")
			writeHomeFile(t, e, "u", "private/secret.txt", "s")
			e.Start(t)
			r := rawLogin(t, e, "u", "User-Pass-1")
			r.c.Expect("PBSZ 0", 200)
			r.c.Expect("PROT P", 200)
			for _, s := range tc.steps {
				code, text := r.run(s)
				if code != s.want {
					t.Errorf("%s: %d %q, want %d", s.cmd, code, text, s.want)
				}
				if code == 550 && strings.Contains(text, "/home") {
					t.Errorf("%s: reply leaks a host path: %q", s.cmd, text)
				}
			}
			home := e.Config.DefaultHome("u")
			if data, _ := os.ReadFile(filepath.Join(home, "old.csv")); string(data) != "original" {
				t.Errorf("old.csv changed to %q", data)
			}
			for _, p := range []string{"sub/keep.txt", "private/secret.txt"} {
				if _, err := os.Stat(filepath.Join(home, p)); err != nil {
					t.Errorf("%s: %v", p, err)
				}
			}
			for _, p := range []string{"newdir", "renamed.csv"} {
				if _, err := os.Stat(filepath.Join(home, p)); err == nil {
					t.Errorf("%s was created by a refused command", p)
				}
			}
		})
	}
}
