package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"
)

func TestDefaultValidates(t *testing.T) {
	if err := Default().Validate(); err != nil {
		t.Fatalf("Default().Validate() = %v", err)
	}
}

func TestInvalidValuesNameTheirKey(t *testing.T) {
	tests := []struct {
		key    string
		mutate func(*Config)
	}{
		{"data_dir", func(c *Config) { c.DataDir = " " }},
		{"server.listen", func(c *Config) { c.Server.Listen = "" }},
		{"server.listen", func(c *Config) { c.Server.Listen = "2121" }},
		{"server.listen", func(c *Config) { c.Server.Listen = "0.0.0.0:70000" }},
		{"server.listen", func(c *Config) { c.Server.Listen = "bad host:21" }},
		{"server.implicit_listen", func(c *Config) { c.Server.ImplicitListen = "localhost:x" }},
		{"server.implicit_listen", func(c *Config) { c.Server.ImplicitListen = c.Server.Listen }},
		{"server.banner", func(c *Config) { c.Server.Banner = "hello\r\n220 fake" }},
		{"server.banner", func(c *Config) { c.Server.Banner = strings.Repeat("x", 3000) }},
		{"server.idle_timeout", func(c *Config) { c.Server.IdleTimeout.Duration = 0 }},
		{"server.data_timeout", func(c *Config) { c.Server.DataTimeout.Duration = -time.Second }},
		{"server.login_timeout", func(c *Config) { c.Server.LoginTimeout.Duration = 2 * time.Hour }},
		{"server.shutdown_timeout", func(c *Config) { c.Server.ShutdownTimeout.Duration = -1 }},
		{"server.max_line_length", func(c *Config) { c.Server.MaxLineLength = 100 }},
		{"tls.policy", func(c *Config) { c.TLS.Policy = "none" }},
		{"tls.key_file", func(c *Config) { c.TLS.CertFile = "a.pem" }},
		{"tls.cert_file", func(c *Config) { c.TLS.KeyFile = "a.key" }},
		{"tls.min_version", func(c *Config) { c.TLS.MinVersion = "1.1" }},
		{"tls.cipher_suites", func(c *Config) { c.TLS.CipherSuites = []string{"TLS_RSA_WITH_AES_128_CBC_SHA"} }},
		{"tls.cipher_suites", func(c *Config) { c.TLS.CipherSuites = []string{"NOPE"} }},
		{"tls.cipher_suites", func(c *Config) {
			c.TLS.MinVersion = "1.3"
			c.TLS.CipherSuites = []string{"TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256"}
		}},
		{"passive.ports", func(c *Config) { c.Passive.Ports = "70000-1" }},
		{"passive.ports", func(c *Config) { c.Passive.Ports = "1000-2000" }},
		{"passive.ports", func(c *Config) { c.Passive.Ports = "50000" }},
		{"passive.ports", func(c *Config) { c.Passive.Ports = "a-b" }},
		{"passive.public_address", func(c *Config) { c.Passive.PublicAddress = "1.2.3.4:21" }},
		{"passive.public_address", func(c *Config) { c.Passive.PublicAddress = "bad host" }},
		{"auth.failure_delay", func(c *Config) { c.Auth.FailureDelay.Duration = time.Minute }},
		{"auth.password_cache_ttl", func(c *Config) { c.Auth.PasswordCacheTTL.Duration = -time.Second }},
		{"password_hash.memory_kib", func(c *Config) { c.PasswordHash.MemoryKiB = 8 }},
		{"password_hash.iterations", func(c *Config) { c.PasswordHash.Iterations = 0 }},
		{"password_hash.parallelism", func(c *Config) { c.PasswordHash.Parallelism = 256 }},
		{"password_hash.max_concurrent", func(c *Config) { c.PasswordHash.MaxConcurrent = -1 }},
		{"password_hash.max_concurrent", func(c *Config) { c.PasswordHash.MaxConcurrent = 1025 }},
		{"users.home_root", func(c *Config) { c.Users.HomeRoot = "" }},
		{"log.format", func(c *Config) { c.Log.Format = "xml" }},
		{"log.level", func(c *Config) { c.Log.Level = "verbose" }},
	}
	for _, tt := range tests {
		cfg := Default()
		tt.mutate(cfg)
		err := cfg.Validate()
		if err == nil {
			t.Errorf("%s: invalid value accepted", tt.key)
			continue
		}
		if !strings.Contains(err.Error(), tt.key+":") {
			t.Errorf("%s: error %q does not name the key", tt.key, err)
		}
	}
}

func TestPassivePortsMessage(t *testing.T) {
	cfg := Default()
	cfg.Passive.Ports = "70000-1"
	want := `passive.ports: "70000-1": ports must be 1024-65535 and low <= high`
	if err := cfg.Validate(); err == nil || err.Error() != want {
		t.Errorf("error = %v, want %s", err, want)
	}
}

func TestValidValues(t *testing.T) {
	tests := []func(*Config){
		func(c *Config) { c.Server.Listen = ":21"; c.Server.ImplicitListen = ":990" },
		func(c *Config) { c.Server.Listen = "[::1]:0"; c.Server.ImplicitListen = "" },
		func(c *Config) { c.Server.Listen = "127.0.0.1:0"; c.Server.ImplicitListen = "127.0.0.1:0" },
		func(c *Config) { c.Server.Banner = "Welcome\nAuthorised use only" },
		func(c *Config) { c.TLS.CertFile, c.TLS.KeyFile = "a.pem", "a.key" },
		func(c *Config) { c.TLS.Policy = "optional"; c.TLS.MinVersion = "1.3" },
		func(c *Config) { c.TLS.CipherSuites = []string{"TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256"} },
		func(c *Config) { c.Passive.Ports = "2000-2000"; c.Passive.PublicAddress = "ftp.example.com" },
		func(c *Config) { c.Passive.PublicAddress = "203.0.113.10" },
		func(c *Config) { c.Auth.FailureDelay.Duration = 0; c.Server.ShutdownTimeout.Duration = 0 },
		func(c *Config) { c.Log.Format, c.Log.Level = "json", "debug" },
	}
	for i, mutate := range tests {
		cfg := Default()
		mutate(cfg)
		if err := cfg.Validate(); err != nil {
			t.Errorf("case %d: %v", i, err)
		}
	}
}

func writeFile(t *testing.T, text string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadOverridesDefaults(t *testing.T) {
	path := writeFile(t, `
data_dir = "/srv/bulwark"
[server]
listen = ":21"
idle_timeout = "10m"
[passive]
ports = "40000-40099"
[log]
format = "json"
`)
	cfg, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	want := Default()
	want.DataDir = "/srv/bulwark"
	want.Server.Listen = ":21"
	want.Server.IdleTimeout.Duration = 10 * time.Minute
	want.Passive.Ports = "40000-40099"
	want.Log.Format = "json"
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("Load = %+v\nwant   %+v", cfg, want)
	}
	if low, high := cfg.PassiveRange(); low != 40000 || high != 40099 {
		t.Errorf("PassiveRange = %d, %d", low, high)
	}
}

func TestFsyncUploads(t *testing.T) {
	if !Default().Server.FsyncUploads {
		t.Error("server.fsync_uploads defaults to false")
	}
	tests := []struct {
		text string
		want bool
	}{
		{"", true},
		{"[server]\nfsync_uploads = true\n", true},
		{"[server]\nfsync_uploads = false\n", false},
	}
	for _, tt := range tests {
		cfg, err := Load(writeFile(t, tt.text))
		if err != nil {
			t.Fatalf("%q: %v", tt.text, err)
		}
		if cfg.Server.FsyncUploads != tt.want {
			t.Errorf("%q: FsyncUploads = %v, want %v", tt.text, cfg.Server.FsyncUploads, tt.want)
		}
	}
	_, err := Load(writeFile(t, "[server]\nfsync_uploads = \"no\"\n"))
	if err == nil || !strings.Contains(err.Error(), "server.fsync_uploads") {
		t.Errorf("string value: error %v does not name server.fsync_uploads", err)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name, text string
		want       []string
	}{
		{"unknown keys", "bogus = 1\n[server]\nlisten_addr = \"x\"\n[nosuch]\nx = 1\n",
			[]string{"unknown", "bogus", "server.listen_addr", "nosuch.x"}},
		{"bad duration", "[server]\nidle_timeout = \"5 minutes\"\n",
			[]string{"server.idle_timeout", "5 minutes"}},
		{"wrong type", "[server]\nmax_line_length = \"big\"\n",
			[]string{"server.max_line_length"}},
		{"invalid value", "[tls]\npolicy = \"never\"\n",
			[]string{"tls.policy", "never"}},
		{"syntax", "[server\n", []string{"toml: line"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := writeFile(t, tt.text)
			_, err := Load(path)
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range append(tt.want, path) {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
		})
	}
	if _, err := Load(filepath.Join(t.TempDir(), "missing.toml")); err == nil {
		t.Error("missing file loaded")
	}
}

// The example file documents every key at its default value.
func TestExampleFileIsDefault(t *testing.T) {
	cfg, err := Load("../../bulwark.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(cfg, Default()) {
		t.Errorf("example file differs from Default():\n%+v\n%+v", cfg, Default())
	}
	root, err := os.ReadFile("../../bulwark.example.toml")
	if err != nil {
		t.Fatal(err)
	}
	if string(root) != Example() {
		t.Error("bulwark.example.toml and internal/config/example.toml differ; copy one over the other")
	}
}

// Every key of the configuration appears in the example file, so none goes
// undocumented.
func TestExampleDocumentsEveryKey(t *testing.T) {
	for _, key := range tomlKeys(reflect.TypeFor[Config](), "") {
		section, name, found := strings.Cut(key, ".")
		if !found {
			section, name = "", key
		}
		text := Example()
		if section != "" {
			i := strings.Index(text, "["+section+"]")
			if i < 0 {
				t.Errorf("section [%s] missing from the example", section)
				continue
			}
			text = text[i:]
		}
		// [password_policy] shows its keys commented out, so that they
		// follow the chosen preset (see TestExamplePolicyComments).
		if !strings.Contains(text, "\n"+name+" = ") &&
			!(section == "password_policy" && strings.Contains(text, "\n# "+name+" = ")) {
			t.Errorf("key %s missing from the example", key)
		}
	}
}

func tomlKeys(typ reflect.Type, prefix string) []string {
	var keys []string
	for f := range typ.Fields() {
		tag := f.Tag.Get("toml")
		if tag == "" {
			continue
		}
		if f.Type.Kind() == reflect.Struct && f.Type != reflect.TypeFor[Duration]() {
			keys = append(keys, tomlKeys(f.Type, prefix+tag+".")...)
			continue
		}
		keys = append(keys, prefix+tag)
	}
	return keys
}

func TestResolve(t *testing.T) {
	cfg := Default()
	cfg.DataDir = "/var/lib/bulwark"
	tests := map[string]string{
		"":           "",
		"bulwark.db": "/var/lib/bulwark/bulwark.db",
		"/etc/x.pem": "/etc/x.pem",
		"tls/a":      "/var/lib/bulwark/tls/a",
	}
	for in, want := range tests {
		if got := cfg.Resolve(in); got != want {
			t.Errorf("Resolve(%q) = %q, want %q", in, got, want)
		}
	}
	if got := cfg.DefaultHome("alice"); got != "/var/lib/bulwark/homes/alice" {
		t.Errorf("DefaultHome = %q", got)
	}
	cfg.Users.HomeRoot = "/srv/ftp"
	if got := cfg.DefaultHome("alice"); got != "/srv/ftp/alice" {
		t.Errorf("DefaultHome with absolute home_root = %q", got)
	}
	if got := cfg.DatabasePath(); got != "/var/lib/bulwark/bulwark.db" {
		t.Errorf("DatabasePath = %q", got)
	}
}

func TestPassiveRangeInvalid(t *testing.T) {
	cfg := Default()
	cfg.Passive.Ports = "x"
	if low, high := cfg.PassiveRange(); low != 0 || high != 0 {
		t.Errorf("PassiveRange of invalid value = %d, %d", low, high)
	}
}

func TestDurationText(t *testing.T) {
	var d Duration
	if err := d.UnmarshalText([]byte("1h30m")); err != nil || d.Duration != 90*time.Minute {
		t.Fatalf("UnmarshalText = %v, %v", d, err)
	}
	text, err := d.MarshalText()
	if err != nil || string(text) != "1h30m0s" {
		t.Errorf("MarshalText = %q, %v", text, err)
	}
	if err := d.UnmarshalText([]byte("30")); err == nil {
		t.Error("a duration without unit was accepted")
	}
}
