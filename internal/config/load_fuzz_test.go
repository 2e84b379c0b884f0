package config

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"testing"
)

// keyLine matches the start of one validation problem: a dotted key whose
// first part is a top-level key, then ": ".
var keyLine = regexp.MustCompile(`^([a-z0-9_]+)(\.[a-z0-9_]+)*: `)

// topLevelKeys returns the TOML names of Config's fields.
func topLevelKeys() map[string]bool {
	keys := make(map[string]bool)
	for _, f := range reflect.VisibleFields(reflect.TypeFor[Config]()) {
		if name := f.Tag.Get("toml"); name != "" {
			keys[name] = true
		}
	}
	return keys
}

// FuzzLoad feeds arbitrary bytes to Load as a configuration file. Load must
// never panic; a file it accepts must validate; a file it refuses must get
// an error that names the file and then either the TOML problem (with its
// line or key), the unknown keys, or, for every problem validation found,
// the key at fault. The seeds in testdata/fuzz/FuzzLoad are fragments of
// example.toml, some of them spoiled.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(Example()))
	f.Add([]byte(""))
	top := topLevelKeys()
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, data []byte) {
		file, err := os.CreateTemp(dir, "bulwark-*.toml")
		if err != nil {
			t.Fatal(err)
		}
		path := file.Name()
		defer os.Remove(path)
		if _, err := file.Write(data); err != nil {
			t.Fatal(err)
		}
		if err := file.Close(); err != nil {
			t.Fatal(err)
		}

		cfg, err := Load(path)
		if err == nil {
			if cfg == nil {
				t.Fatal("Load returned neither a configuration nor an error")
			}
			if err := cfg.Validate(); err != nil {
				t.Fatalf("Load accepted a configuration that does not validate: %v", err)
			}
			return
		}
		if cfg != nil {
			t.Errorf("Load returned a configuration with the error %v", err)
		}
		msg := err.Error()
		rest, ok := strings.CutPrefix(msg, path+": ")
		if !ok {
			t.Fatalf("error does not start with the file's name %q: %q", path, msg)
		}
		switch {
		case strings.HasPrefix(rest, "toml: "):
			// The TOML library's message: a syntax error or a value of the
			// wrong type. It names the line, the key, or both (a value
			// given as a dotted key of the wrong type has no line).
			if !strings.Contains(rest, "line ") && !strings.Contains(rest, "(last key ") {
				t.Errorf("TOML error naming neither a line nor a key: %q", msg)
			}
		case strings.HasPrefix(rest, "unknown configuration key(s): "):
			if strings.TrimPrefix(rest, "unknown configuration key(s): ") == "" {
				t.Errorf("unknown keys not named: %q", msg)
			}
		default:
			for _, line := range strings.Split(rest, "\n") {
				m := keyLine.FindStringSubmatch(line)
				if m == nil || !top[m[1]] {
					t.Errorf("problem does not start with a configuration key: %q\nwhole error: %q", line, msg)
				}
			}
		}
	})
}

// TestFuzzLoadSeedsExist keeps the seed corpus from being lost: the fuzz
// target's checks only run on examples when there are examples.
func TestFuzzLoadSeedsExist(t *testing.T) {
	seeds, err := filepath.Glob(filepath.Join("testdata", "fuzz", "FuzzLoad", "*"))
	if err != nil {
		t.Fatal(err)
	}
	if len(seeds) < 10 {
		t.Fatalf("%d seeds in testdata/fuzz/FuzzLoad; want the example's sections and spoiled variants", len(seeds))
	}
}
