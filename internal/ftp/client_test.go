package ftp_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"slices"
	"testing"
	"time"

	jftp "github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
)

// exercise runs the everyday operations through a real client.
func exercise(t *testing.T, e *env, c *jftp.ServerConn) {
	t.Helper()
	data := make([]byte, 3<<20+17)
	rand.Read(data)

	if err := c.MakeDir("docs"); err != nil {
		t.Fatalf("mkdir: %v", err)
	}
	if err := c.ChangeDir("docs"); err != nil {
		t.Fatalf("cwd: %v", err)
	}
	if dir, err := c.CurrentDir(); err != nil || dir != "/docs" {
		t.Fatalf("pwd = %q, %v", dir, err)
	}
	if err := c.Stor("report.bin", bytes.NewReader(data)); err != nil {
		t.Fatalf("stor: %v", err)
	}
	if got := e.readFile(t, "docs/report.bin"); !bytes.Equal(got, data) {
		t.Fatalf("stored %d bytes, want %d", len(got), len(data))
	}
	if size, err := c.FileSize("report.bin"); err != nil || size != int64(len(data)) {
		t.Fatalf("size = %d, %v", size, err)
	}
	if mt, err := c.GetTime("report.bin"); err != nil || time.Since(mt) > time.Hour {
		t.Fatalf("mdtm = %v, %v", mt, err)
	}

	r, err := c.Retr("report.bin")
	if err != nil {
		t.Fatalf("retr: %v", err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("retr gave %d bytes (%v), want %d", len(got), err, len(data))
	}

	entries, err := c.List("/docs")
	if err != nil {
		t.Fatalf("list: %v", err)
	}
	if len(entries) != 1 || entries[0].Name != "report.bin" || entries[0].Size != uint64(len(data)) ||
		entries[0].Type != jftp.EntryTypeFile {
		t.Fatalf("list = %+v", entries)
	}
	if c.IsTimePreciseInList() { // the client uses MLST and MLSD
		entry, err := c.GetEntry("report.bin")
		if err != nil || entry.Size != uint64(len(data)) || entry.Type != jftp.EntryTypeFile {
			t.Fatalf("mlst = %+v, %v", entry, err)
		}
	}

	if err := c.Rename("report.bin", "/final.bin"); err != nil {
		t.Fatalf("rename: %v", err)
	}
	if err := c.ChangeDirToParent(); err != nil {
		t.Fatalf("cdup: %v", err)
	}
	names, err := c.NameList("")
	if err != nil {
		t.Fatalf("nlst: %v", err)
	}
	slices.Sort(names)
	if !slices.Equal(names, []string{"docs", "final.bin"}) {
		t.Fatalf("nlst = %q", names)
	}
	if err := c.Delete("final.bin"); err != nil {
		t.Fatalf("dele: %v", err)
	}
	if err := c.RemoveDir("docs"); err != nil {
		t.Fatalf("rmd: %v", err)
	}
	if names := e.dirNames(t); len(names) != 0 {
		t.Fatalf("left behind: %q", names)
	}
}

func TestClientExplicitTLS(t *testing.T) {
	e := newEnv(t)
	c := e.dialJ(t)
	exercise(t, e, c)
	e.logs.waitFor(t, "login succeeded")
	e.logs.waitFor(t, "transfer completed")
}

func TestClientExplicitTLSWithPASVAndLIST(t *testing.T) {
	e := newEnv(t)
	c := e.dialJ(t, jftp.DialWithDisabledEPSV(true), jftp.DialWithDisabledMLSD(true))
	exercise(t, e, c)
}

func TestClientImplicitTLS(t *testing.T) {
	e := newEnv(t)
	addr := ftptest.NewImplicitServer(t, e.srv)
	c, err := jftp.Dial(addr, jftp.DialWithTLS(e.cert.ClientConfig()), jftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if err := c.Login(testUser, testPass); err != nil {
		t.Fatal(err)
	}
	exercise(t, e, c)
}

func TestClientPlainWhenAllowed(t *testing.T) {
	e := newEnv(t, func(s *ftp.Server, _ *env) {
		s.TLSConfig = nil
		s.AllowCleartext = true
	})
	c, err := jftp.Dial(e.addr, jftp.DialWithTimeout(10*time.Second))
	if err != nil {
		t.Fatal(err)
	}
	defer c.Quit()
	if err := c.Login(testUser, testPass); err != nil {
		t.Fatal(err)
	}
	exercise(t, e, c)
}

func TestResumedUpload(t *testing.T) {
	e := newEnv(t)
	data := make([]byte, 1<<20)
	rand.Read(data)
	e.writeFile(t, "big.bin", data[:300_000])
	c := e.dialJ(t)
	if err := c.StorFrom("big.bin", bytes.NewReader(data[300_000:]), 300_000); err != nil {
		t.Fatal(err)
	}
	if got := e.readFile(t, "big.bin"); !bytes.Equal(got, data) {
		t.Fatalf("resumed upload gave %d bytes", len(got))
	}
}

func TestResumedDownload(t *testing.T) {
	e := newEnv(t)
	data := make([]byte, 1<<20)
	rand.Read(data)
	e.writeFile(t, "big.bin", data)
	c := e.dialJ(t)
	r, err := c.RetrFrom("big.bin", 777_777)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || !bytes.Equal(got, data[777_777:]) {
		t.Fatalf("resumed download gave %d bytes (%v)", len(got), err)
	}
}

func TestClientAppend(t *testing.T) {
	e := newEnv(t)
	e.writeFile(t, "log.txt", []byte("one\n"))
	c := e.dialJ(t)
	if err := c.Append("log.txt", bytes.NewReader([]byte("two\n"))); err != nil {
		t.Fatal(err)
	}
	if err := c.Append("new.txt", bytes.NewReader([]byte("fresh\n"))); err != nil {
		t.Fatal(err)
	}
	if got := string(e.readFile(t, "log.txt")); got != "one\ntwo\n" {
		t.Fatalf("appended file = %q", got)
	}
	if got := string(e.readFile(t, "new.txt")); got != "fresh\n" {
		t.Fatalf("new file = %q", got)
	}
}

func TestClientEmptyFile(t *testing.T) {
	e := newEnv(t)
	c := e.dialJ(t)
	if err := c.Stor("empty", bytes.NewReader(nil)); err != nil {
		t.Fatal(err)
	}
	if got := e.readFile(t, "empty"); len(got) != 0 {
		t.Fatalf("empty upload stored %d bytes", len(got))
	}
	r, err := c.Retr("empty")
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(r)
	r.Close()
	if err != nil || len(got) != 0 {
		t.Fatalf("empty download gave %d bytes (%v)", len(got), err)
	}
}
