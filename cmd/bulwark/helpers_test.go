package main

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/testutil"
)

// syncBuffer is a bytes.Buffer safe for a writer and a reader in different
// goroutines (a running serve command and its test).
type syncBuffer = testutil.Buffer

type result struct {
	code           int
	stdout, stderr string
}

// env is a command line environment: a working directory and a data
// directory of its own.
type env struct {
	t       *testing.T
	dataDir string
	// outputs collects everything printed, to check secrets never appear.
	outputs []string
}

func newEnv(t *testing.T) *env {
	t.Chdir(t.TempDir()) // no stray bulwark.toml, relative paths stay inside
	return &env{t: t, dataDir: t.TempDir()}
}

// run executes args with --data-dir and the given standard input.
func (e *env) run(stdin string, args ...string) result {
	return e.runApp(nil, stdin, args...)
}

// runApp is run with a chance to adjust the app (a fake terminal).
func (e *env) runApp(adjust func(*app), stdin string, args ...string) result {
	e.t.Helper()
	var stdout, stderr syncBuffer
	a := newApp(strings.NewReader(stdin), &stdout, &stderr)
	if adjust != nil {
		adjust(a)
	}
	code := a.run(context.Background(), append([]string{"--data-dir", e.dataDir}, args...))
	r := result{code: code, stdout: stdout.String(), stderr: stderr.String()}
	e.outputs = append(e.outputs, r.stdout, r.stderr)
	return r
}

// ok runs args and fails the test unless they exit 0.
func (e *env) ok(stdin string, args ...string) result {
	e.t.Helper()
	r := e.run(stdin, args...)
	if r.code != exitOK {
		e.t.Fatalf("%v: exit %d\nstdout: %s\nstderr: %s", args, r.code, r.stdout, r.stderr)
	}
	return r
}

// never fails the test if secret appeared in any output so far.
func (e *env) never(secret string) {
	e.t.Helper()
	for _, out := range e.outputs {
		if strings.Contains(out, secret) {
			e.t.Fatalf("output contains the secret %q:\n%s", secret, out)
		}
	}
}

// fakeTerm answers prompts from prepared lists.
type fakeTerm struct {
	passwords []string
	lines     []string
	prompts   []string
}

func (f *fakeTerm) ReadPassword(prompt string) (string, error) {
	f.prompts = append(f.prompts, prompt)
	if len(f.passwords) == 0 {
		return "", errors.New("no more passwords")
	}
	pw := f.passwords[0]
	f.passwords = f.passwords[1:]
	return pw, nil
}

func (f *fakeTerm) ReadLine(prompt string) (string, error) {
	f.prompts = append(f.prompts, prompt)
	if len(f.lines) == 0 {
		return "", errors.New("no more lines")
	}
	l := f.lines[0]
	f.lines = f.lines[1:]
	return l, nil
}
