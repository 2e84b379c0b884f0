package config

import (
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/netip"
	"runtime"
	"strconv"
	"strings"
	"time"
	"unicode"

	"github.com/bulwark-ftp/bulwark/internal/certs"
	"github.com/bulwark-ftp/bulwark/internal/password"
)

// Server is the [server] section: listeners and session limits.
type Server struct {
	// Listen is the explicit FTPS (AUTH TLS) control address.
	Listen string `toml:"listen"`
	// ImplicitListen is the implicit FTPS address; "" disables it.
	ImplicitListen string `toml:"implicit_listen"`
	// Banner is the greeting sent on connect; "\n" separates lines.
	Banner          string   `toml:"banner"`
	IdleTimeout     Duration `toml:"idle_timeout"`
	DataTimeout     Duration `toml:"data_timeout"`
	LoginTimeout    Duration `toml:"login_timeout"`
	MaxLineLength   int      `toml:"max_line_length"`
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
	// FsyncUploads flushes every completed upload to disk before it
	// replaces the previous version. False trades that durability for
	// speed; the replacement stays atomic either way.
	FsyncUploads bool `toml:"fsync_uploads"`
	// RunAsUser and RunAsGroup name the account serve switches to once it
	// has bound its listeners and opened its files, when started as root.
	// "" keeps the account it was started as.
	RunAsUser  string `toml:"run_as_user"`
	RunAsGroup string `toml:"run_as_group"`
}

func defaultServer() Server {
	return Server{
		Listen:          "0.0.0.0:2121",
		ImplicitListen:  "0.0.0.0:2990",
		Banner:          "Bulwark FTP server ready",
		IdleTimeout:     Duration{5 * time.Minute},
		DataTimeout:     Duration{time.Minute},
		LoginTimeout:    Duration{30 * time.Second},
		MaxLineLength:   4096,
		ShutdownTimeout: Duration{30 * time.Second},
		FsyncUploads:    true,
	}
}

// Bounds of server settings.
const (
	MinLineLength = 512
	MaxLineLength = 65536
	maxBannerLen  = 2048
)

// Validate checks the [server] section.
func (s Server) Validate() error {
	var errs []error
	errs = append(errs, checkListen("server.listen", s.Listen, false))
	errs = append(errs, checkListen("server.implicit_listen", s.ImplicitListen, true))
	if s.Listen != "" && s.Listen == s.ImplicitListen && !strings.HasSuffix(s.Listen, ":0") {
		errs = append(errs, fmt.Errorf("server.implicit_listen: %q: must differ from server.listen", s.ImplicitListen))
	}
	if len(s.Banner) > maxBannerLen {
		errs = append(errs, fmt.Errorf("server.banner: longer than %d bytes", maxBannerLen))
	}
	for _, r := range s.Banner {
		if r != '\n' && (unicode.IsControl(r) || r == unicode.ReplacementChar) {
			errs = append(errs, fmt.Errorf("server.banner: %q: control character %q not allowed (use \"\\n\" between lines)", s.Banner, r))
			break
		}
	}
	errs = append(errs,
		checkDuration("server.idle_timeout", s.IdleTimeout, time.Second, 24*time.Hour),
		checkDuration("server.data_timeout", s.DataTimeout, time.Second, 24*time.Hour),
		checkDuration("server.login_timeout", s.LoginTimeout, time.Second, time.Hour),
		checkDuration("server.shutdown_timeout", s.ShutdownTimeout, 0, 24*time.Hour),
	)
	if s.MaxLineLength < MinLineLength || s.MaxLineLength > MaxLineLength {
		errs = append(errs, fmt.Errorf("server.max_line_length: %d: must be between %d and %d", s.MaxLineLength, MinLineLength, MaxLineLength))
	}
	return errors.Join(errs...)
}

// checkListen accepts "host:port" and ":port" with a port of 0 to 65535
// (0 picks a free port, for tests).
func checkListen(key, addr string, allowEmpty bool) error {
	if addr == "" {
		if allowEmpty {
			return nil
		}
		return fmt.Errorf("%s: must not be empty", key)
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("%s: %q: must be HOST:PORT or :PORT", key, addr)
	}
	if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
		return fmt.Errorf("%s: %q: port must be a number from 0 to 65535", key, addr)
	}
	if host != "" && !validHost(host) {
		return fmt.Errorf("%s: %q: %q is not an IP address or host name", key, addr, host)
	}
	return nil
}

func checkDuration(key string, d Duration, low, high time.Duration) error {
	if d.Duration < low || d.Duration > high {
		return fmt.Errorf("%s: %q: must be between %v and %v", key, d.Duration.String(), low, high)
	}
	return nil
}

// validHost accepts IP addresses and DNS host names.
func validHost(host string) bool {
	if _, err := netip.ParseAddr(host); err == nil {
		return true
	}
	if len(host) > 253 {
		return false
	}
	for label := range strings.SplitSeq(strings.TrimSuffix(host, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, r := range label {
			if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

// TLS is the [tls] section.
type TLS struct {
	// Policy is "required" (no login or transfer without TLS) or "optional".
	Policy string `toml:"policy"`
	// CertFile and KeyFile are PEM files; both empty means a self-signed
	// certificate in <data_dir>/tls.
	CertFile   string `toml:"cert_file"`
	KeyFile    string `toml:"key_file"`
	MinVersion string `toml:"min_version"`
	// CipherSuites are TLS 1.2 suite names; empty means the AEAD defaults.
	CipherSuites []string `toml:"cipher_suites"`
	// RequireSessionResumption refuses data connections that do not resume
	// the control connection's TLS session, so that a third party cannot
	// steal a passive data connection.
	RequireSessionResumption bool `toml:"require_session_resumption"`
}

// TLS policies.
const (
	PolicyRequired = "required"
	PolicyOptional = "optional"
)

func defaultTLS() TLS {
	return TLS{
		Policy:                   PolicyRequired,
		MinVersion:               "1.2",
		CipherSuites:             []string{},
		RequireSessionResumption: true,
	}
}

// Validate checks the [tls] section.
func (t TLS) Validate() error {
	var errs []error
	if t.Policy != PolicyRequired && t.Policy != PolicyOptional {
		errs = append(errs, fmt.Errorf("tls.policy: %q: must be %q or %q", t.Policy, PolicyRequired, PolicyOptional))
	}
	if t.CertFile != "" && t.KeyFile == "" {
		errs = append(errs, errors.New("tls.key_file: must be set when tls.cert_file is"))
	}
	if t.KeyFile != "" && t.CertFile == "" {
		errs = append(errs, errors.New("tls.cert_file: must be set when tls.key_file is"))
	}
	if _, err := certs.ParseMinVersion(t.MinVersion); err != nil {
		errs = append(errs, fmt.Errorf("tls.min_version: %w", err))
	}
	if _, err := certs.ParseCipherSuites(t.CipherSuites); err != nil {
		errs = append(errs, prefixLines("tls.cipher_suites: ", err))
	} else if len(t.CipherSuites) > 0 && t.MinVersion == "1.3" {
		errs = append(errs, errors.New(`tls.cipher_suites: only apply to TLS 1.2 and have no effect with tls.min_version = "1.3"; remove them`))
	}
	return errors.Join(errs...)
}

// prefixLines puts prefix before every line of err, so that each problem
// of a joined error names its key.
func prefixLines(prefix string, err error) error {
	lines := strings.Split(err.Error(), "\n")
	for i := range lines {
		lines[i] = prefix + lines[i]
	}
	return errors.New(strings.Join(lines, "\n"))
}

// Passive is the [passive] section.
type Passive struct {
	// Ports is the "LOW-HIGH" range of passive data ports.
	Ports string `toml:"ports"`
	// PublicAddress is the host or IP announced in PASV replies (behind
	// NAT); "" announces the control connection's local address.
	PublicAddress string `toml:"public_address"`
}

func defaultPassive() Passive { return Passive{Ports: "50000-50999"} }

// Validate checks the [passive] section.
func (p Passive) Validate() error {
	var errs []error
	if _, _, err := parsePortRange(p.Ports); err != nil {
		errs = append(errs, fmt.Errorf("passive.ports: %q: %w", p.Ports, err))
	}
	if p.PublicAddress != "" && !validHost(p.PublicAddress) {
		errs = append(errs, fmt.Errorf("passive.public_address: %q: must be an IP address or a host name, without a port", p.PublicAddress))
	}
	return errors.Join(errs...)
}

func parsePortRange(s string) (low, high int, err error) {
	lo, hi, ok := strings.Cut(s, "-")
	if !ok {
		return 0, 0, errors.New(`must be "LOW-HIGH", for example "50000-50999"`)
	}
	low, err1 := strconv.Atoi(strings.TrimSpace(lo))
	high, err2 := strconv.Atoi(strings.TrimSpace(hi))
	if err1 != nil || err2 != nil {
		return 0, 0, errors.New(`must be "LOW-HIGH", for example "50000-50999"`)
	}
	if low < 1024 || high > 65535 || low > high {
		return 0, 0, errors.New("ports must be 1024-65535 and low <= high")
	}
	return low, high, nil
}

// Active is the [active] section. Active data connections (PORT, EPRT) only
// ever go to the client's own address and to ports >= 1024.
type Active struct {
	Enabled bool `toml:"enabled"`
}

// Validate checks the [active] section; every value is valid today.
func (a Active) Validate() error { return nil }

// Auth is the [auth] section.
type Auth struct {
	// FailureDelay is how long a failed login waits before its reply.
	FailureDelay Duration `toml:"failure_delay"`
	// PasswordCacheTTL is how long a successful password verification is
	// remembered (as an HMAC, in memory) so that the same account logging
	// in again with the same password skips the hashing. 0 disables it.
	PasswordCacheTTL Duration `toml:"password_cache_ttl"`
}

func defaultAuth() Auth {
	return Auth{FailureDelay: Duration{time.Second}, PasswordCacheTTL: Duration{5 * time.Minute}}
}

// Validate checks the [auth] section.
func (a Auth) Validate() error {
	return errors.Join(
		checkDuration("auth.failure_delay", a.FailureDelay, 0, 30*time.Second),
		checkDuration("auth.password_cache_ttl", a.PasswordCacheTTL, 0, time.Hour),
	)
}

// PasswordHash is the [password_hash] section: the Argon2id cost of new
// password hashes. Existing hashes keep the cost they were made with.
type PasswordHash struct {
	MemoryKiB   int `toml:"memory_kib"`
	Iterations  int `toml:"iterations"`
	Parallelism int `toml:"parallelism"`
	// MaxConcurrent bounds the hashes computed at once; 0 means the
	// number of CPUs. See Concurrency.
	MaxConcurrent int `toml:"max_concurrent"`
}

// maxConcurrentHashes bounds password_hash.max_concurrent.
const maxConcurrentHashes = 1024

// Concurrency is how many password hashes may be computed at once: each
// holds memory_kib, so this bounds the memory a flood of logins can take
// (max_concurrent × memory_kib).
func (p PasswordHash) Concurrency() int {
	if p.MaxConcurrent > 0 {
		return p.MaxConcurrent
	}
	return runtime.NumCPU()
}

// Hasher returns a password hasher with these settings.
func (p PasswordHash) Hasher() *password.Hasher {
	return &password.Hasher{Params: p.Params(), MaxParallel: p.Concurrency()}
}

func defaultPasswordHash() PasswordHash {
	return PasswordHash{MemoryKiB: 19456, Iterations: 2, Parallelism: 1}
}

// Bounds of the Argon2id cost.
const (
	MinMemoryKiB  = 1024
	MaxMemoryKiB  = 4 * 1024 * 1024
	MaxIterations = 100
)

// Validate checks the [password_hash] section.
func (p PasswordHash) Validate() error {
	var errs []error
	if p.MemoryKiB < MinMemoryKiB || p.MemoryKiB > MaxMemoryKiB {
		errs = append(errs, fmt.Errorf("password_hash.memory_kib: %d: must be between %d and %d", p.MemoryKiB, MinMemoryKiB, MaxMemoryKiB))
	}
	if p.Iterations < 1 || p.Iterations > MaxIterations {
		errs = append(errs, fmt.Errorf("password_hash.iterations: %d: must be between 1 and %d", p.Iterations, MaxIterations))
	}
	if p.Parallelism < 1 || p.Parallelism > 255 {
		errs = append(errs, fmt.Errorf("password_hash.parallelism: %d: must be between 1 and 255", p.Parallelism))
	}
	if p.MaxConcurrent < 0 || p.MaxConcurrent > maxConcurrentHashes {
		errs = append(errs, fmt.Errorf("password_hash.max_concurrent: %d: must be between 0 (the number of CPUs) and %d", p.MaxConcurrent, maxConcurrentHashes))
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if err := p.Params().Validate(); err != nil {
		return fmt.Errorf("password_hash: %w", err)
	}
	return nil
}

// Params returns the hashing parameters; salt and key lengths are the
// password package's defaults.
func (p PasswordHash) Params() password.Params {
	params := password.DefaultParams()
	params.Memory = uint32(p.MemoryKiB)
	params.Iterations = uint32(p.Iterations)
	params.Parallelism = uint8(p.Parallelism)
	return params
}

// Users is the [users] section.
type Users struct {
	// CreateFirstUser makes "serve" create a user with a random password
	// when the store has no users.
	CreateFirstUser bool `toml:"create_first_user"`
	// HomeRoot is where default home directories go, relative to data_dir.
	HomeRoot string `toml:"home_root"`
}

// Validate checks the [users] section.
func (u Users) Validate() error {
	if strings.TrimSpace(u.HomeRoot) == "" {
		return errors.New("users.home_root: must not be empty")
	}
	return nil
}

// Log is the [log] section.
type Log struct {
	Format string `toml:"format"`
	Level  string `toml:"level"`
	// File is appended to; "" logs to standard error.
	File string `toml:"file"`
	// TransferLog is a file to append one line per transfer to, in the
	// xferlog format of wu-ftpd, vsftpd and ProFTPD; "" writes none.
	TransferLog string `toml:"transfer_log"`
}

// Validate checks the [log] section.
func (l Log) Validate() error {
	var errs []error
	if l.Format != "text" && l.Format != "json" {
		errs = append(errs, fmt.Errorf("log.format: %q: must be \"text\" or \"json\"", l.Format))
	}
	if _, err := parseLevel(l.Level); err != nil {
		errs = append(errs, fmt.Errorf("log.level: %q: %w", l.Level, err))
	}
	return errors.Join(errs...)
}

// SlogLevel returns log.level as a slog level (info when invalid).
func (l Log) SlogLevel() slog.Level {
	lvl, _ := parseLevel(l.Level)
	return lvl
}

func parseLevel(s string) (slog.Level, error) {
	switch s {
	case "debug":
		return slog.LevelDebug, nil
	case "info":
		return slog.LevelInfo, nil
	case "warn":
		return slog.LevelWarn, nil
	case "error":
		return slog.LevelError, nil
	}
	return slog.LevelInfo, errors.New(`must be "debug", "info", "warn" or "error"`)
}
