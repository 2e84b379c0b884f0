package main

import (
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/config"
)

func TestConfigCheck(t *testing.T) {
	e := newEnv(t)
	write := func(name, text string) string {
		path := filepath.Join(t.TempDir(), name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return path
	}

	r := e.ok("", "config", "check")
	if !strings.Contains(r.stdout, "configuration OK") || !strings.Contains(r.stdout, "defaults") {
		t.Errorf("defaults: %q", r.stdout)
	}

	good := write("good.toml", "[server]\nlisten = \":21\"\n")
	if r := e.ok("", "--config", good, "config", "check"); !strings.Contains(r.stdout, "configuration OK ("+good+")") {
		t.Errorf("good file: %q", r.stdout)
	}

	tests := []struct {
		name, text string
		want       []string
	}{
		{"bad values", "[passive]\nports = \"70000-1\"\n[tls]\npolicy = \"never\"\n",
			[]string{`passive.ports: "70000-1"`, `tls.policy: "never"`}},
		{"unknown key", "[server]\nlisten_port = 21\n", []string{"server.listen_port"}},
		{"bad duration", "[server]\nidle_timeout = \"soon\"\n", []string{"server.idle_timeout"}},
		{"missing certificate", "[tls]\ncert_file = \"/nonexistent/c.pem\"\nkey_file = \"/nonexistent/k.pem\"\n",
			[]string{"/nonexistent/c.pem"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write("bad.toml", tt.text)
			r := e.run("", "--config", path, "config", "check")
			if r.code != exitError {
				t.Errorf("exit %d, want %d", r.code, exitError)
			}
			for _, want := range tt.want {
				if !strings.Contains(r.stderr, "bulwark: ") || !strings.Contains(r.stderr, want) {
					t.Errorf("stderr %q lacks %q", r.stderr, want)
				}
			}
			if strings.Contains(r.stdout, "OK") {
				t.Errorf("stdout says OK: %q", r.stdout)
			}
		})
	}

	if r := e.run("", "--config", filepath.Join(t.TempDir(), "none.toml"), "config", "check"); r.code != exitError {
		t.Errorf("missing --config file: exit %d", r.code)
	}

	// bulwark.toml in the working directory is read without --config.
	if err := os.WriteFile("bulwark.toml", []byte("[log]\nlevel = \"loud\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if r := e.run("", "config", "check"); r.code != exitError || !strings.Contains(r.stderr, "log.level") {
		t.Errorf("bulwark.toml in the working directory: exit %d, %q", r.code, r.stderr)
	}
}

func TestConfigDefaultLoads(t *testing.T) {
	e := newEnv(t)
	r := e.ok("", "config", "default")
	path := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(path, []byte(r.stdout), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, config.Default()) {
		t.Error("config default does not load as the defaults")
	}
}

func TestDataDirFlag(t *testing.T) {
	e := newEnv(t)
	e.dataDir = filepath.Join(t.TempDir(), "fresh")
	cfgFile := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(cfgFile, []byte("data_dir = \"/nonexistent/elsewhere\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// --data-dir (added by env.run) wins over the file's data_dir.
	e.ok("Walnut-Ferry-Glow-83\n", "--config", cfgFile, "user", "add", "dora", "--password-stdin")
	if _, err := os.Stat(filepath.Join(e.dataDir, "bulwark.db")); err != nil {
		t.Errorf("store not in --data-dir: %v", err)
	}
	fi, err := os.Stat(e.dataDir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("data_dir created with mode %o, want 700", fi.Mode().Perm())
	}
}

func TestVersion(t *testing.T) {
	e := newEnv(t)
	r := e.ok("", "version")
	if !strings.Contains(r.stdout, "bulwark "+version) || !strings.Contains(r.stdout, runtime.Version()) {
		t.Errorf("version: %q", r.stdout)
	}
}
