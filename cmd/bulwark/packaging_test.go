package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/config"
)

// The configuration the container image is built with is valid and keeps
// the admin API on the container's loopback.
func TestDockerfileConfig(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "<<'TOML'\n")
	body, _, ok2 := strings.Cut(rest, "\nTOML\n")
	if !ok || !ok2 {
		t.Fatal("no configuration here-document (<<'TOML' … TOML) in the Dockerfile")
	}
	path := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(path, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	cfg, err := config.Load(path)
	if err != nil {
		t.Fatalf("the image's configuration: %v", err)
	}
	if !cfg.Admin.Loopback() {
		t.Errorf("admin.listen %q is not loopback in the image", cfg.Admin.Listen)
	}
	if cfg.DataDir != "/var/lib/bulwark" || !strings.Contains(string(b), `VOLUME ["/var/lib/bulwark"]`) {
		t.Errorf("data_dir %q is not the image's volume", cfg.DataDir)
	}
}
