package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

// serving is a serve command running in the background.
type serving struct {
	addrs          []net.Addr
	admin          string // the admin API's address
	sigs           chan<- os.Signal
	stdout, stderr *syncBuffer
	done           chan int
}

// startServe runs "serve" on loopback ports chosen by the system and waits
// until it listens.
func startServe(t *testing.T, e *env, extra ...string) *serving {
	return startServeOn(t, e, true, extra...)
}

// startServeOn is startServe with standard output a terminal or not.
func startServeOn(t *testing.T, e *env, tty bool, extra ...string) *serving {
	t.Helper()
	s := &serving{stdout: new(syncBuffer), stderr: new(syncBuffer), done: make(chan int, 1)}
	started := make(chan []net.Addr, 1)
	subscribed := make(chan chan<- os.Signal, 1)
	a := newApp(strings.NewReader(""), s.stdout, s.stderr)
	a.stdoutTTY = tty
	a.started = func(addrs []net.Addr) { started <- addrs }
	adminAddr := make(chan string, 1)
	a.adminStarted = func(addr string) { adminAddr <- addr }
	a.signals = func(c chan<- os.Signal) func() {
		subscribed <- c
		return func() {}
	}
	args := append([]string{"--data-dir", e.dataDir, "serve",
		"--listen", "127.0.0.1:0", "--implicit-listen", "127.0.0.1:0", "--passive-ports", "40000-40999",
		"--admin-listen", "127.0.0.1:0"}, extra...)
	go func() { s.done <- a.run(context.Background(), args) }()

	deadline := time.After(30 * time.Second)
	for s.addrs == nil || s.sigs == nil {
		select {
		case s.addrs = <-started:
		case s.sigs = <-subscribed:
		case code := <-s.done:
			t.Fatalf("serve exited with %d\nstdout: %s\nstderr: %s", code, s.stdout, s.stderr)
		case <-deadline:
			t.Fatalf("serve did not start\nstderr: %s", s.stderr)
		}
	}
	s.admin = <-adminAddr
	return s
}

// stop sends SIGTERM and waits for the exit code.
func (s *serving) stop(t *testing.T) int {
	t.Helper()
	s.sigs <- syscall.SIGTERM
	select {
	case code := <-s.done:
		return code
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not stop\nstderr: %s", s.stderr)
	}
	return -1
}

// waitLog polls the log until it contains want.
func (s *serving) waitLog(t *testing.T, want string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(s.stderr.String(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("log never contained %q:\n%s", want, s.stderr)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServe(t *testing.T) {
	e := newEnv(t)
	s := startServe(t, e)
	if len(s.addrs) != 2 {
		t.Fatalf("listening on %v, want explicit and implicit", s.addrs)
	}

	box := s.stdout.String()
	m := regexp.MustCompile(`password:\s+(\S+)`).FindStringSubmatch(box)
	if m == nil || !strings.Contains(box, "ftpuser") || !strings.Contains(box, s.addrs[0].String()) {
		t.Fatalf("first-user box missing or incomplete:\n%s", box)
	}
	pw := m[1]
	if strings.Contains(s.stderr.String(), pw) {
		t.Fatal("the first user's password is in the log")
	}
	home := filepath.Join(e.dataDir, "homes", firstUserName)
	if fi, err := os.Stat(home); err != nil || fi.Mode().Perm() != homeDirMode {
		t.Fatalf("first user's home: %v, %v", fi, err)
	}

	// A real client logs in over explicit TLS, trusting only the
	// self-signed certificate the server created, and uploads a file.
	pem, err := os.ReadFile(filepath.Join(e.dataDir, "tls", "cert.pem"))
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	conn, err := ftp.Dial(s.addrs[0].String(), ftp.DialWithTimeout(10*time.Second),
		ftp.DialWithExplicitTLS(&tls.Config{RootCAs: pool, ServerName: "localhost",
			ClientSessionCache: tls.NewLRUClientSessionCache(4)}))
	if err != nil {
		t.Fatal(err)
	}
	if err := conn.Login(firstUserName, pw); err != nil {
		t.Fatalf("login with the printed password: %v", err)
	}
	if err := conn.Stor("hello.txt", bytes.NewReader([]byte("hello"))); err != nil {
		t.Errorf("upload: %v", err)
	} else if data, err := os.ReadFile(filepath.Join(home, "hello.txt")); err != nil || string(data) != "hello" {
		t.Errorf("uploaded file: %q, %v", data, err)
	}
	conn.Quit()

	// SIGHUP reloads the configuration and the certificate.
	s.sigs <- syscall.SIGHUP
	s.waitLog(t, "configuration reloaded")

	if code := s.stop(t); code != exitOK {
		t.Fatalf("serve exit %d\nstderr: %s", code, s.stderr)
	}
	if !strings.Contains(s.stderr.String(), "stopped") {
		t.Errorf("no stop message in the log:\n%s", s.stderr)
	}

	// The next start finds a user and prints no box.
	s = startServe(t, e)
	if out := s.stdout.String(); out != "" {
		t.Errorf("second start printed:\n%s", out)
	}
	s.stop(t)
}

func TestServeReloadFailureKeepsRunning(t *testing.T) {
	e := newEnv(t)
	cfgFile := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(cfgFile, []byte("[users]\ncreate_first_user = false\n[tls]\npolicy = \"optional\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s := startServe(t, e, "--config", cfgFile)
	if s.stdout.String() != "" {
		t.Errorf("box printed although create_first_user = false:\n%s", s.stdout)
	}
	if !strings.Contains(s.stderr.String(), "tls.policy is optional") {
		t.Errorf("no warning about the optional TLS policy:\n%s", s.stderr)
	}
	if err := os.WriteFile(cfgFile, []byte("[passive]\nports = \"1-2\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s.sigs <- syscall.SIGHUP
	s.waitLog(t, "reload failed")
	if !strings.Contains(s.stderr.String(), "passive.ports") {
		t.Errorf("reload error does not name the key:\n%s", s.stderr)
	}
	// Still serving.
	c, err := net.DialTimeout("tcp", s.addrs[0].String(), 10*time.Second)
	if err != nil {
		t.Fatalf("server gone after a failed reload: %v", err)
	}
	c.Close()
	if code := s.stop(t); code != exitOK {
		t.Errorf("serve exit %d", code)
	}
}

func TestServeFlagErrors(t *testing.T) {
	e := newEnv(t)
	r := e.run("", "serve", "--passive-ports", "70000-1")
	if r.code != exitError || !strings.Contains(r.stderr, `passive.ports: "70000-1"`) {
		t.Errorf("bad --passive-ports: exit %d, %q", r.code, r.stderr)
	}
	r = e.run("", "serve", "--listen", "nonsense")
	if r.code != exitError || !strings.Contains(r.stderr, "server.listen") {
		t.Errorf("bad --listen: exit %d, %q", r.code, r.stderr)
	}
}

func TestPrintFirstUser(t *testing.T) {
	cfg := config.Default()
	u := &user.User{Name: "ftpuser", Home: "/data/homes/ftpuser"}
	var b bytes.Buffer
	printFirstUser(&b, cfg, u, "Secret123", nil)
	out := b.String()
	for _, want := range []string{"Secret123", "/data/homes/ftpuser", "curl --ssl-reqd -k -u ftpuser ftp://localhost:2121/",
		"ftps://localhost:2990/", "verify-certificate no"} {
		if !strings.Contains(out, want) {
			t.Errorf("box lacks %q:\n%s", want, out)
		}
	}
	lines := strings.Split(strings.TrimSuffix(out, "\n"), "\n")
	for _, l := range lines {
		if len([]rune(l)) != len([]rune(lines[0])) {
			t.Errorf("ragged box line %q", l)
		}
	}

	cfg.TLS.CertFile, cfg.TLS.KeyFile = "/etc/c.pem", "/etc/k.pem"
	cfg.Server.ImplicitListen = ""
	b.Reset()
	printFirstUser(&b, cfg, u, "Secret123", []net.Addr{&net.TCPAddr{IP: net.IPv6loopback, Port: 21}})
	out = b.String()
	if strings.Contains(out, " -k") || strings.Contains(out, "verify-certificate") || strings.Contains(out, "ftps://") {
		t.Errorf("box for a real certificate without implicit listener:\n%s", out)
	}
	if !strings.Contains(out, "ftp://[::1]:21/") {
		t.Errorf("box lacks the bound address:\n%s", out)
	}
}

func TestKeepRestartKeys(t *testing.T) {
	old := config.Default()
	cfg := config.Default()
	if keys := keepRestartKeys(old, cfg); len(keys) != 0 {
		t.Errorf("no change reported %v", keys)
	}
	// Applied on reload: not reported, not touched.
	cfg.Server.Listen = ":21"
	cfg.Server.FsyncUploads = false
	cfg.Log.Level = "debug"
	cfg.Defender.Threshold = 7
	cfg.Admin.Listen = ""
	// Only at restart.
	cfg.DataDir = "elsewhere"
	cfg.Server.RunAsUser = "ftp"
	cfg.Defender.Enabled = false
	cfg.Log.File = "x.log"
	keys := keepRestartKeys(old, cfg)
	if strings.Join(keys, ",") != "data_dir,server.run_as_user,defender.enabled,log.file" {
		t.Errorf("keepRestartKeys = %v", keys)
	}
	want := config.Default()
	want.Server.Listen, want.Server.FsyncUploads, want.Log.Level = ":21", false, "debug"
	want.Defender.Threshold, want.Admin.Listen = 7, ""
	if !reflect.DeepEqual(cfg, want) {
		t.Errorf("after keepRestartKeys:\n%+v\nwant\n%+v", cfg, want)
	}
}

// greeting reads the 220 line a new connection to addr gets.
func greeting(t *testing.T, addr string) string {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 10*time.Second)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, err := bufio.NewReader(c).ReadString('\n')
	if err != nil {
		t.Fatalf("greeting: %v", err)
	}
	return strings.TrimSpace(line)
}

func TestServeReloadAppliesNewSettings(t *testing.T) {
	e := newEnv(t)
	cfgFile := filepath.Join(t.TempDir(), "bulwark.toml")
	write := func(text string) {
		t.Helper()
		if err := os.WriteFile(cfgFile, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	write("[users]\ncreate_first_user = false\n[server]\nbanner = \"Before\"\n")
	s := startServe(t, e, "--config", cfgFile)
	addr := s.addrs[0].String()
	held, err := net.DialTimeout("tcp", addr, 10*time.Second) // a session from before
	if err != nil {
		t.Fatal(err)
	}
	defer held.Close()
	if got := greeting(t, addr); got != "220 Before" {
		t.Fatalf("greeting %q", got)
	}

	write("[users]\ncreate_first_user = false\n[server]\nbanner = \"After\"\n")
	s.sigs <- syscall.SIGHUP
	s.waitLog(t, "configuration reloaded")
	if got := greeting(t, addr); got != "220 After" {
		t.Errorf("greeting after SIGHUP %q, want the new banner", got)
	}

	for _, broken := range []struct{ text, want string }{
		{"[server\nbanner = \"Broken\"\n", "toml"},
		{"[server]\nbanner = \"Broken\"\nno_such_key = 1\n", "server.no_such_key"},
	} {
		before := strings.Count(s.stderr.String(), "reload failed; the running configuration stays")
		write(broken.text)
		s.sigs <- syscall.SIGHUP
		waitUntil(t, "the refusal", func() bool {
			return strings.Count(s.stderr.String(), "reload failed; the running configuration stays") > before
		})
		if !strings.Contains(s.stderr.String(), broken.want) {
			t.Errorf("refusal does not say %q:\n%s", broken.want, s.stderr)
		}
		if got := greeting(t, addr); got != "220 After" {
			t.Errorf("greeting after a refused reload %q", got)
		}
	}
	// The connection from before the reloads is still there.
	held.SetReadDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(held)
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "220 Before") {
		t.Fatalf("held connection: %q %v", line, err)
	}
	held.Write([]byte("NOOP\r\n"))
	if line, err := r.ReadString('\n'); err != nil || !strings.HasPrefix(line, "200") {
		t.Errorf("NOOP on the held connection: %q %v", line, err)
	}
	if code := s.stop(t); code != exitOK {
		t.Errorf("serve exit %d", code)
	}
}

// waitUntil polls cond until it holds, failing after 30 seconds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestServeWarnsOfNoFsync(t *testing.T) {
	const warning = "server.fsync_uploads is false"
	e := newEnv(t)
	s := startServe(t, e)
	s.waitLog(t, "bulwark started")
	if strings.Contains(s.stderr.String(), warning) {
		t.Errorf("warning with the default setting:\n%s", s.stderr)
	}
	if code := s.stop(t); code != exitOK {
		t.Fatalf("serve exited %d", code)
	}

	cfgPath := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(cfgPath, []byte("[server]\nfsync_uploads = false\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	s = startServe(t, e, "--config", cfgPath)
	s.waitLog(t, warning)
	if !strings.Contains(s.stderr.String(), "level=WARN msg=\""+warning) {
		t.Errorf("not a warning:\n%s", s.stderr)
	}
	if code := s.stop(t); code != exitOK {
		t.Fatalf("serve exited %d", code)
	}
}

// Without a terminal the first user's password goes to a private file, never
// to standard output or the log.
func TestServeFirstUserWithoutTerminal(t *testing.T) {
	e := newEnv(t)
	s := startServeOn(t, e, false)
	defer s.stop(t)
	if out := s.stdout.String(); out != "" {
		t.Fatalf("printed on a non-terminal:\n%s", out)
	}
	path := filepath.Join(e.dataDir, firstUserFile)
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("%s has mode %v, want 0600", path, fi.Mode().Perm())
	}
	data, _ := os.ReadFile(path)
	m := regexp.MustCompile(`password:\s+(\S+)`).FindSubmatch(data)
	if m == nil {
		t.Fatalf("no password in %s:\n%s", path, data)
	}
	s.waitLog(t, firstUserFile)
	if strings.Contains(s.stderr.String(), string(m[1])) {
		t.Fatal("the password is in the log")
	}
}
