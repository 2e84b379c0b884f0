package main

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// waitFile polls path until it contains want.
func waitFile(t *testing.T, path, want string) string {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		data, _ := os.ReadFile(path)
		if strings.Contains(string(data), want) {
			return string(data)
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s never contained %q:\n%s", path, want, data)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// mustRead returns the content of path, failing the test if it cannot.
func mustRead(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

// After logrotate has renamed the log, SIGUSR1 makes serve write to a new
// file at the configured path; if that cannot be opened, the old file stays.
func TestServeReopensLogOnSIGUSR1(t *testing.T) {
	e := newEnv(t)
	dir := t.TempDir()
	logPath := filepath.Join(dir, "bulwark.log")
	cfgFile := filepath.Join(dir, "bulwark.toml")
	if err := os.WriteFile(cfgFile, []byte(fmt.Sprintf("[users]\ncreate_first_user = false\n[log]\nfile = %q\n", logPath)), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, e, "--config", cfgFile)
	waitFile(t, logPath, "bulwark started")

	rotated := logPath + ".1"
	if err := os.Rename(logPath, rotated); err != nil {
		t.Fatal(err)
	}
	s.sigs <- sigReopen
	waitFile(t, logPath, "log files reopened")
	if old := mustRead(t, rotated); !strings.Contains(old, "SIGUSR1: reopening log files") || strings.Contains(old, "log files reopened") {
		t.Errorf("the rotated file should end with the reopen request:\n%s", old)
	}
	if cur := mustRead(t, logPath); strings.Contains(cur, "bulwark started") {
		t.Errorf("the new file repeats old lines:\n%s", cur)
	}
	if fi, err := os.Stat(logPath); err != nil || fi.Mode().Perm() != logFileMode {
		t.Errorf("new log file: %v, %v; want mode %v", fi, err, os.FileMode(logFileMode))
	}

	// Something that cannot be opened for writing now stands at the path:
	// the file already open stays in use.
	second := logPath + ".2"
	if err := os.Rename(logPath, second); err != nil {
		t.Fatal(err)
	}
	if err := os.Mkdir(logPath, 0o700); err != nil {
		t.Fatal(err)
	}
	s.sigs <- sigReopen
	got := waitFile(t, second, "reopening a log file failed")
	if !strings.Contains(got, "log.file") {
		t.Errorf("the reopen error does not name log.file:\n%s", got)
	}
	if code := s.stop(t); code != exitOK {
		t.Fatalf("serve exit %d", code)
	}
	if got := mustRead(t, second); !strings.Contains(got, "stopped") {
		t.Errorf("lines after the failed reopen are lost:\n%s", got)
	}
}

// Records written while the file is reopened are neither lost nor split.
func TestLogOutputReopenUnderLoad(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "x.log")
	out, err := openLogOutput("log.file", path)
	if err != nil {
		t.Fatal(err)
	}
	const writers, lines = 8, 300
	var wg sync.WaitGroup
	for w := range writers {
		wg.Go(func() {
			for i := range lines {
				if _, err := fmt.Fprintf(out, "record %d %d end\n", w, i); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 20 {
		if err := os.Rename(path, fmt.Sprintf("%s.%d", path, i)); err != nil {
			t.Fatal(err)
		}
		if err := out.Reopen(); err != nil {
			t.Fatal(err)
		}
	}
	wg.Wait()
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	if err := out.Reopen(); err != nil {
		t.Errorf("Reopen after Close: %v", err)
	}

	files, _ := filepath.Glob(path + "*")
	seen := make(map[string]bool)
	for _, f := range files {
		for l := range strings.Lines(mustRead(t, f)) {
			if !strings.HasPrefix(l, "record ") || !strings.HasSuffix(l, " end\n") || seen[l] {
				t.Fatalf("%s: damaged or repeated record %q", f, l)
			}
			seen[l] = true
		}
	}
	if len(seen) != writers*lines {
		t.Fatalf("%d records in %d files, want %d", len(seen), len(files), writers*lines)
	}
}

func TestLogOutputToStream(t *testing.T) {
	var b syncBuffer
	out := &logOutput{w: &b}
	reopeners{out}.reopen(slog.New(slog.NewTextHandler(out, nil)))
	if !strings.Contains(b.String(), "log files reopened") {
		t.Errorf("reopening a stream should succeed:\n%s", b.String())
	}
	if err := out.Close(); err != nil {
		t.Error(err)
	}
}
