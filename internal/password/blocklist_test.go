package password

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestBlocklist(t *testing.T) {
	b := NewBlocklist([]string{"  Secret ", "", "   ", "# a comment", "letmein", "LETMEIN", "two words"})
	if b.Len() != 3 {
		t.Errorf("Len = %d, want 3", b.Len())
	}
	tests := map[string]bool{
		"secret": true, "SECRET": true, " secret ": true, "letmein": true, "Two Words": true,
		"# a comment": false, "secret1": false, "": false, "two": false,
	}
	for pw, want := range tests {
		if got := b.Contains(pw); got != want {
			t.Errorf("Contains(%q) = %v, want %v", pw, got, want)
		}
	}
	var none *Blocklist
	if none.Contains("secret") || none.Len() != 0 {
		t.Error("nil blocklist is not empty")
	}
}

func TestLoadBlocklist(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "forbidden.txt")
	text := "# company words\r\nBulwark2025\r\n\r\nacme-corp\nwinter2025\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	b, err := LoadBlocklist(path)
	if err != nil {
		t.Fatal(err)
	}
	if b.Len() != 3 || !b.Contains("bulwark2025") || !b.Contains("ACME-CORP") || !b.Contains("Winter2025") {
		t.Errorf("loaded %d words: %+v", b.Len(), b.words)
	}

	missing := filepath.Join(dir, "missing.txt")
	if _, err := LoadBlocklist(missing); err == nil || !strings.Contains(err.Error(), missing) {
		t.Errorf("missing file: %v", err)
	}
	long := filepath.Join(dir, "long.txt")
	if err := os.WriteFile(long, []byte(strings.Repeat("x", maxBlocklistLine+10)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadBlocklist(long); err == nil || !strings.Contains(err.Error(), long) {
		t.Errorf("overlong line: %v", err)
	}
	if _, err := LoadBlocklist(dir); err == nil || !strings.Contains(err.Error(), dir) {
		t.Errorf("directory: %v", err)
	}
}

func TestBlocklistRefusesInCheck(t *testing.T) {
	p := DefaultPolicy()
	p.Blocklist = NewBlocklist([]string{"Bulwark-Ftp-2025-Rocks"})
	err := p.Check("bulwark-ftp-2025-rocks", "bob")
	if !strings.Contains(errString(err), "is on the list of forbidden passwords") {
		t.Errorf("Check = %v", err)
	}
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}
