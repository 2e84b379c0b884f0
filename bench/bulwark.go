package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// Argon2id cost of the benchmark account: Bulwark's defaults, written out
// so that the report states them.
const (
	argonMemoryKiB  = 19456
	argonIterations = 2
	argonLanes      = 1
)

func bulwarkConfigFile(e *env) string { return filepath.Join(e.work, "bulwark.toml") }

func bulwarkHome(e *env) string { return filepath.Join(e.work, "bulwark-home") }

// bulwarkMode selects the settings of one Bulwark run; the zero value is
// the main run (TLS required, defaults otherwise).
type bulwarkMode struct {
	// clear allows clear-text FTP (tls.policy optional) for the
	// clear-text transfer runs.
	clear bool
	// noCache turns the cache of successful password verifications off
	// so that every login pays the full argon2id cost.
	noCache bool
	// noFsync sets server.fsync_uploads = false, so that uploads are
	// committed without being flushed to disk, as the other servers do.
	noFsync bool
}

// writeBulwarkConfig writes the configuration for mode m.
func writeBulwarkConfig(e *env, m bulwarkMode) error {
	cacheTTL := "5m"
	if m.noCache {
		cacheTTL = "0s"
	}
	policy := "required"
	if m.clear {
		policy = "optional"
	}
	conf := fmt.Sprintf(`data_dir = %q

[server]
listen = "127.0.0.1:%d"
implicit_listen = ""
idle_timeout = "1h"
fsync_uploads = %t

[tls]
policy = %q
cert_file = %q
key_file = %q
min_version = "1.2"
cipher_suites = ["TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256", "TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384"]
require_session_resumption = true

[passive]
ports = %q

[password_hash]
memory_kib = %d
iterations = %d
parallelism = %d

[auth]
password_cache_ttl = %q

[users]
create_first_user = false

[defender]
enabled = true
# The benchmark client must never be banned; 127.0.0.2 stays unlisted for
# the refused-connection test.
safelist = ["127.0.0.1"]
max_connections = 3000
max_connections_per_ip = 3000

[log]
level = "warn"
`, filepath.Join(e.work, "bulwark-data"), servers()[0].Port, !m.noFsync, policy, e.cert, e.key, servers()[0].Ports,
		argonMemoryKiB, argonIterations, argonLanes, cacheTTL)
	return os.WriteFile(bulwarkConfigFile(e), []byte(conf), 0o600)
}

func bulwarkPrepare(e *env) error {
	if err := writeBulwarkConfig(e, bulwarkMode{}); err != nil {
		return err
	}
	if err := populateHome(e.files, bulwarkHome(e), os.Getuid(), os.Getgid()); err != nil {
		return err
	}
	cmd := exec.Command(e.bulwark, "--config", bulwarkConfigFile(e), "user", "add", testUser,
		"--password-stdin", "--home", bulwarkHome(e), "--aging-exempt")
	cmd.Stdin = strings.NewReader(testPassword + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("bulwark user add: %v: %s", err, out)
	}
	return nil
}

func bulwarkStart(e *env, clear bool) (*proc, error) {
	return bulwarkStartWith(e, bulwarkMode{clear: clear})
}

func bulwarkStartWith(e *env, m bulwarkMode) (*proc, error) {
	if err := writeBulwarkConfig(e, m); err != nil {
		return nil, err
	}
	return startProc([]string{e.bulwark, "--config", bulwarkConfigFile(e), "serve"}, nil,
		fmt.Sprintf("127.0.0.1:%d", servers()[0].Port), filepath.Join(e.work, "bulwark.log"))
}

func bulwarkVersion(e *env) string {
	return run(e.bulwark, nil, "version")
}

// bulwarkBan bans addr through the CLI while the server runs.
func bulwarkBan(e *env, addr string) error {
	out, err := exec.Command(e.bulwark, "--config", bulwarkConfigFile(e), "ban", "add", addr, "--reason", "benchmark").CombinedOutput()
	if err != nil {
		return fmt.Errorf("bulwark ban add: %v: %s", err, out)
	}
	return nil
}

func bulwarkUnban(e *env, addr string) {
	exec.Command(e.bulwark, "--config", bulwarkConfigFile(e), "ban", "del", addr).Run()
}
