package main

import (
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/cobra/doc"
)

var updateCLIDocs = flag.Bool("update", false, "rewrite docs/cli from the command line (TestCLIDocs)")

// cliDocsDir holds the command line reference, one Markdown page per
// command, generated from the commands themselves.
const cliDocsDir = "../../docs/cli"

// genCLIDocs writes the reference of every command into dir.
func genCLIDocs(t *testing.T, dir string) {
	t.Helper()
	root := newRootCmd(strings.NewReader(""), io.Discard, io.Discard)
	// Without a date the pages change only when the commands do.
	var stamp func(*cobra.Command)
	stamp = func(c *cobra.Command) {
		c.DisableAutoGenTag = true
		for _, sub := range c.Commands() {
			stamp(sub)
		}
	}
	stamp(root)
	if err := doc.GenMarkdownTree(root, dir); err != nil {
		t.Fatal(err)
	}
}

// mdFiles returns the names and contents of the Markdown files in dir.
func mdFiles(t *testing.T, dir string) map[string]string {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.md"))
	if err != nil {
		t.Fatal(err)
	}
	files := make(map[string]string, len(paths))
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		files[filepath.Base(p)] = string(data)
	}
	return files
}

// TestCLIDocs keeps docs/cli in step with the commands. After changing a
// command, run
//
//	go test ./cmd/bulwark -run TestCLIDocs -update
func TestCLIDocs(t *testing.T) {
	gen := t.TempDir()
	genCLIDocs(t, gen)
	want := mdFiles(t, gen)
	if len(want) == 0 {
		t.Fatal("no pages generated")
	}

	if *updateCLIDocs {
		if err := os.MkdirAll(cliDocsDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name := range mdFiles(t, cliDocsDir) {
			if _, ok := want[name]; !ok {
				if err := os.Remove(filepath.Join(cliDocsDir, name)); err != nil {
					t.Fatal(err)
				}
			}
		}
		for name, text := range want {
			if err := os.WriteFile(filepath.Join(cliDocsDir, name), []byte(text), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		t.Logf("wrote %d pages to %s", len(want), cliDocsDir)
		return
	}

	const hint = "docs/cli is out of date; regenerate it with: go test ./cmd/bulwark -run TestCLIDocs -update"
	have := mdFiles(t, cliDocsDir)
	var problems []string
	for _, name := range sortedKeys(want) {
		text, ok := have[name]
		switch {
		case !ok:
			problems = append(problems, name+": missing")
		case text != want[name]:
			problems = append(problems, name+": "+firstDifference(text, want[name]))
		}
	}
	for _, name := range sortedKeys(have) {
		if _, ok := want[name]; !ok {
			problems = append(problems, name+": no such command any more")
		}
	}
	if len(problems) > 0 {
		t.Fatalf("%s\n%s", hint, strings.Join(problems, "\n"))
	}
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// firstDifference describes the first line where have and want differ.
func firstDifference(have, want string) string {
	h, w := strings.Split(have, "\n"), strings.Split(want, "\n")
	for i := range max(len(h), len(w)) {
		var hl, wl string
		if i < len(h) {
			hl = h[i]
		}
		if i < len(w) {
			wl = w[i]
		}
		if hl != wl {
			return fmt.Sprintf("line %d: have %q, want %q", i+1, hl, wl)
		}
	}
	return "differs"
}
