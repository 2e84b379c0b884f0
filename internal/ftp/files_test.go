package ftp_test

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestDirectoryReplies(t *testing.T) {
	e := newEnv(t)
	c := e.secureClient(t)
	if got := c.Expect("MKD a\"b", 257); got != `"/a""b" created` {
		t.Errorf("MKD = %q", got)
	}
	c.Expect("CWD a\"b", 250)
	if got := c.Expect("PWD", 257); got != `"/a""b" is the current directory` {
		t.Errorf("PWD = %q", got)
	}
	c.Expect("XPWD", 257)
	c.Expect("CDUP", 250)
	c.Expect("XCUP", 250)
	if got := c.Expect("PWD", 257); got != `"/" is the current directory` {
		t.Errorf("PWD at the top = %q", got)
	}
	c.Expect("CWD ../../..", 250)
	c.Expect("CWD nowhere", 550)
	e.writeFile(t, "f", []byte("x"))
	c.Expect("CWD f", 550)
	c.Expect("XMKD d2", 257)
	c.Expect("XRMD d2", 250)
	c.Expect("RMD /", 550)
	c.Expect("RMD nowhere", 550)
	c.Expect("DELE nowhere", 550)
	c.Expect("RNFR nowhere", 550)
	c.Expect("RNFR f", 350)
	c.Expect("RNTO g", 250)
	c.Expect("RNFR g", 350)
	c.Expect("NOOP", 200)
	c.Expect("RNTO h", 503) // RNTO must follow RNFR at once
}

func TestFileFacts(t *testing.T) {
	e := newEnv(t)
	data := []byte("The quick brown fox")
	e.writeFile(t, "dir/fox.txt", data)
	mtime := time.Date(2021, 3, 4, 5, 6, 7, 0, time.UTC)
	os.Chtimes(filepath.Join(e.dir, "dir", "fox.txt"), mtime, mtime)
	c := e.secureClient(t)

	if got := c.Expect("SIZE dir/fox.txt", 213); got != "19" {
		t.Errorf("SIZE = %q", got)
	}
	c.Expect("SIZE dir", 550)
	c.Expect("SIZE nothing", 550)
	c.Expect("TYPE A", 200)
	c.Expect("SIZE dir/fox.txt", 550)
	c.Expect("TYPE I", 200)

	if got := c.Expect("MDTM dir/fox.txt", 213); got != "20210304050607" {
		t.Errorf("MDTM = %q", got)
	}
	if got := c.Expect("MFMT 20200102030405 dir/fox.txt", 213); got != "Modify=20200102030405; /dir/fox.txt" {
		t.Errorf("MFMT = %q", got)
	}
	if got := c.Expect("MDTM /dir/fox.txt", 213); got != "20200102030405" {
		t.Errorf("MDTM after MFMT = %q", got)
	}

	sum := sha256.Sum256(data)
	if got := c.Expect("HASH dir/fox.txt", 213); got != "SHA-256 0-19 "+hex.EncodeToString(sum[:])+" /dir/fox.txt" {
		t.Errorf("HASH = %q", got)
	}
	c.Expect("OPTS HASH MD5", 200)
	if got := c.Expect("HASH dir/fox.txt", 213); !strings.HasPrefix(got, "MD5 0-19 ") {
		t.Errorf("HASH MD5 = %q", got)
	}
	c.Expect("HASH dir", 550)

	got := c.Expect("MLST dir/fox.txt", 250)
	want := "Listing /dir/fox.txt\n type=file;size=19;modify=20200102030405;perm=adfrw; /dir/fox.txt\nEnd"
	if got != want {
		t.Errorf("MLST =\n%s\nwant\n%s", got, want)
	}
	c.Expect("CWD dir", 250)
	if got := c.Expect("MLST", 250); !strings.Contains(got, " type=dir;") || !strings.Contains(got, "; /dir\n") {
		t.Errorf("MLST of cwd = %q", got)
	}

	c.Expect("SITE CHMOD 600 fox.txt", 200)
	if fi, err := os.Stat(filepath.Join(e.dir, "dir", "fox.txt")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("SITE CHMOD left mode %v (%v)", fi.Mode(), err)
	}
	if got := c.Expect("SITE HELP", 214); !strings.Contains(got, "CHMOD") {
		t.Errorf("SITE HELP = %q", got)
	}
}

func TestMLSDAndLIST(t *testing.T) {
	e := newEnv(t)
	e.writeFile(t, "d/one.txt", []byte("1"))
	e.writeFile(t, "d/two.txt", []byte("22"))
	os.Mkdir(filepath.Join(e.dir, "d", "sub"), 0o755)
	c := e.secureClient(t)

	list := func(cmd string) string {
		t.Helper()
		dc := c.OpenPassiveData()
		c.Expect(cmd, 150)
		tc, err := c.DataTLS(dc)
		if err != nil {
			t.Fatal(err)
		}
		out := string(readAll(t, tc))
		c.ExpectReply(226)
		return out
	}
	mlsd := list("MLSD d")
	for _, w := range []string{"type=file;size=1;", "; one.txt\r\n", "type=file;size=2;", "; two.txt\r\n", "type=dir;", "; sub\r\n"} {
		if !strings.Contains(mlsd, w) {
			t.Errorf("MLSD lacks %q:\n%s", w, mlsd)
		}
	}
	ls := list("LIST -la d")
	if n := strings.Count(ls, "\r\n"); n != 3 || !strings.Contains(ls, " one.txt\r\n") || !strings.HasPrefix(ls, "-rw") && !strings.HasPrefix(ls, "d") {
		t.Errorf("LIST =\n%s", ls)
	}
	if got := list("NLST d"); !strings.Contains(got, "d/one.txt\r\n") || strings.Count(got, "\r\n") != 3 {
		t.Errorf("NLST d =\n%s", got)
	}
	if got := list("LIST d/one.txt"); strings.Count(got, "\r\n") != 1 || !strings.HasSuffix(got, " one.txt\r\n") {
		t.Errorf("LIST of a file =\n%s", got)
	}
	if got := list("NLST d/one.txt"); got != "d/one.txt\r\n" {
		t.Errorf("NLST of a file = %q", got)
	}
	c.Expect("EPSV", 229)
	c.Expect("MLSD d/one.txt", 501)
	c.Expect("EPSV", 229)
	c.Expect("LIST nowhere", 550)

	stat := c.Expect("STAT d", 212)
	if !strings.Contains(stat, " one.txt") || !strings.HasPrefix(stat, "Status of /d:") {
		t.Errorf("STAT d =\n%s", stat)
	}
	if got := c.Expect("STAT d/two.txt", 213); !strings.Contains(got, " two.txt") {
		t.Errorf("STAT file =\n%s", got)
	}
	status := c.Expect("STAT", 211)
	for _, w := range []string{"Logged in as alice", "TLS 1.3", "PROT P", "No transfer in progress"} {
		if !strings.Contains(status, w) {
			t.Errorf("STAT lacks %q:\n%s", w, status)
		}
	}
}

func TestASCIIMode(t *testing.T) {
	e := newEnv(t)
	e.writeFile(t, "unix.txt", []byte("one\ntwo\n"))
	c := e.secureClient(t)
	c.Expect("TYPE A", 200)
	dc := c.OpenPassiveData()
	c.Expect("RETR unix.txt", 150)
	tc, err := c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(readAll(t, tc)); got != "one\r\ntwo\r\n" {
		t.Errorf("ASCII download = %q", got)
	}
	c.ExpectReply(226)

	dc = c.OpenPassiveData()
	c.Expect("STOR dos.txt", 150)
	tc, err = c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	tc.Write([]byte("a\r\nb\r\nc\r"))
	tc.Close()
	c.ExpectReply(226)
	if got := string(e.readFile(t, "dos.txt")); got != "a\nb\nc\r" {
		t.Errorf("ASCII upload stored %q", got)
	}
}

func TestSTOU(t *testing.T) {
	e := newEnv(t)
	e.writeFile(t, "report", []byte("old"))
	c := e.secureClient(t)
	dc := c.OpenPassiveData()
	text := c.Expect("STOU report", 150)
	if text != "FILE: report.1" {
		t.Fatalf("STOU 150 text = %q", text)
	}
	tc, err := c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	tc.Write([]byte("new"))
	tc.Close()
	c.ExpectReply(226)
	if got := string(e.readFile(t, "report.1")); got != "new" {
		t.Fatalf("STOU stored %q", got)
	}
	if got := string(e.readFile(t, "report")); got != "old" {
		t.Fatalf("STOU changed the existing file to %q", got)
	}

	dc = c.OpenPassiveData()
	text = c.Expect("STOU", 150)
	if !strings.HasPrefix(text, "FILE: ftp-") {
		t.Fatalf("STOU 150 text = %q", text)
	}
	tc, err = c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	tc.Close()
	c.ExpectReply(226)
	if _, err := os.Stat(filepath.Join(e.dir, strings.TrimPrefix(text, "FILE: "))); err != nil {
		t.Fatal(err)
	}
}

func TestRESTBeyondEnd(t *testing.T) {
	e := newEnv(t)
	e.writeFile(t, "small", []byte("abc"))
	c := e.secureClient(t)
	c.Expect("EPSV", 229)
	c.Expect("REST 4", 350)
	c.Expect("RETR small", 554)
}

func TestTransferWithoutDataSetup(t *testing.T) {
	e := newEnv(t)
	c := e.secureClient(t)
	for _, cmd := range []string{"RETR x", "STOR x", "LIST", "NLST", "MLSD", "APPE x", "STOU"} {
		c.Expect(cmd, 425)
	}
}
