package server_test

import (
	"bufio"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jlaffaye/ftp"

	"github.com/bulwark-ftp/bulwark/internal/certs"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/ftp/ftptest"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
)

// newCertFiles writes a fresh self-signed pair and returns a copy of cfg
// that names it.
func newCertFiles(t *testing.T, cfg config.Config) *config.Config {
	t.Helper()
	dir := t.TempDir()
	if _, _, err := certs.LoadOrCreate(dir, "", "", time.Now); err != nil {
		t.Fatal(err)
	}
	cfg.TLS.CertFile = filepath.Join(dir, "cert.pem")
	cfg.TLS.KeyFile = filepath.Join(dir, "key.pem")
	return &cfg
}

// servedCert returns the fingerprint of the certificate a new explicit
// FTPS connection to addr is shown.
func servedCert(t *testing.T, addr string) string {
	t.Helper()
	c := ftptest.Dial(t, addr)
	defer c.Close()
	c.UpgradeTLS(servertest.ClientTLS())
	leaf := c.Conn().(*tls.Conn).ConnectionState().PeerCertificates[0]
	return certs.Fingerprint(&tls.Certificate{Certificate: [][]byte{leaf.Raw}})
}

// banner returns the first line of the greeting of a new connection.
func banner(t *testing.T, addr string) string {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		t.Fatalf("greeting: %v", err)
	}
	return strings.TrimSpace(line)
}

// accepts reports whether something listens at addr.
func accepts(addr string) bool {
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return false
	}
	conn.Close()
	return true
}

// download fetches name over c and returns its SHA-256.
func download(c *ftp.ServerConn, name string) ([32]byte, error) {
	r, err := c.Retr(name)
	if err != nil {
		return [32]byte{}, err
	}
	h := sha256.New()
	_, err = io.Copy(h, r)
	if cerr := r.Close(); err == nil {
		err = cerr
	}
	var sum [32]byte
	h.Sum(sum[:0])
	return sum, err
}

func TestReloadUnderLoad(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Correct-Horse-7")
	home := e.Config.DefaultHome("alice")
	if err := os.MkdirAll(home, 0o750); err != nil {
		t.Fatal(err)
	}
	big := make([]byte, 24<<20)
	rand.Read(big)
	want := sha256.Sum256(big)
	if err := os.WriteFile(filepath.Join(home, "big.bin"), big, 0o640); err != nil {
		t.Fatal(err)
	}
	e.Start(t)
	oldAddr := e.Explicit()
	oldCert := certs.Fingerprint(e.Server.Certificate())

	// Load: a second client downloads again and again throughout.
	stop := make(chan struct{})
	loadErr := make(chan error, 1)
	var rounds sync.WaitGroup
	busy := dial(t, oldAddr, false)
	if err := busy.Login("alice", "Correct-Horse-7"); err != nil {
		t.Fatal(err)
	}
	rounds.Go(func() {
		for n := 0; ; n++ {
			select {
			case <-stop:
				if n < 2 {
					loadErr <- fmt.Errorf("only %d downloads under load", n)
				}
				return
			default:
			}
			if sum, err := download(busy, "big.bin"); err != nil || sum != want {
				loadErr <- fmt.Errorf("download %d under load: err %v, intact %v", n, err, sum == want)
				return
			}
		}
	})

	// A download under way while the reload happens.
	c := dial(t, oldAddr, false)
	if err := c.Login("alice", "Correct-Horse-7"); err != nil {
		t.Fatal(err)
	}
	r, err := c.Retr("big.bin")
	if err != nil {
		t.Fatal(err)
	}
	h := sha256.New()
	if _, err := io.CopyN(h, r, 1<<20); err != nil {
		t.Fatal(err)
	}

	next := newCertFiles(t, *e.Config)
	next.Server.Listen = "127.0.0.2:0"
	next.Server.Banner = "Reloaded banner"
	next.Access.DenyIPs = []string{"127.0.0.3"}
	if err := e.Server.Reload(next); err != nil {
		t.Fatal(err)
	}
	newAddr := e.Explicit()
	newCert := certs.Fingerprint(e.Server.Certificate())
	if newAddr == oldAddr || newCert == oldCert {
		t.Fatalf("after reload: address %s (was %s), certificate changed %v", newAddr, oldAddr, newCert != oldCert)
	}

	// The transfer under way finishes intact.
	if _, err := io.Copy(h, r); err != nil {
		t.Fatalf("download across the reload: %v", err)
	}
	if err := r.Close(); err != nil {
		t.Fatalf("download across the reload: %v", err)
	}
	if [32]byte(h.Sum(nil)) != want {
		t.Fatal("download across the reload corrupted")
	}
	// Its session goes on, through the closed listener's connection.
	if err := c.NoOp(); err != nil {
		t.Fatalf("old session after reload: %v", err)
	}
	if sum, err := download(c, "big.bin"); err != nil || sum != want {
		t.Fatalf("second download in the old session: err %v, intact %v", err, sum == want)
	}

	// New connections: the new port, the new certificate, the new banner
	// and the new rules; the old port is closed.
	if accepts(oldAddr) {
		t.Error("the old port still accepts")
	}
	if got := servedCert(t, newAddr); got != newCert {
		t.Errorf("new explicit connection shown %s, want %s", got, newCert)
	}
	conn, err := tls.Dial("tcp", e.Implicit(), &tls.Config{InsecureSkipVerify: true})
	if err != nil {
		t.Fatal(err)
	}
	leaf := conn.ConnectionState().PeerCertificates[0]
	conn.Close()
	if got := certs.Fingerprint(&tls.Certificate{Certificate: [][]byte{leaf.Raw}}); got != newCert {
		t.Errorf("new implicit connection shown %s, want %s", got, newCert)
	}
	if got := banner(t, newAddr); got != "220 Reloaded banner" {
		t.Errorf("greeting %q", got)
	}
	if !refusedAtDoor(t, newAddr, "127.0.0.3") {
		t.Error("127.0.0.3 admitted after the server-level deny")
	}
	if refusedAtDoor(t, newAddr, "127.0.0.4") {
		t.Error("127.0.0.4 refused")
	}
	fresh := dial(t, newAddr, false)
	if err := fresh.Login("alice", "Correct-Horse-7"); err != nil {
		t.Fatalf("login on the new port: %v", err)
	}
	if sum, err := download(fresh, "big.bin"); err != nil || sum != want {
		t.Fatalf("download on the new port: err %v, intact %v", err, sum == want)
	}

	close(stop)
	rounds.Wait()
	select {
	case err := <-loadErr:
		t.Fatal(err)
	default:
	}
	if !strings.Contains(e.Logs.String(), "stopped listening; its sessions go on") {
		t.Error("the move of the listener is not logged")
	}
}

func TestReloadRejectedKeepsRunning(t *testing.T) {
	e := servertest.New(t, func(c *config.Config) { c.Server.Banner = "Old banner" })
	e.AddUser(t, "alice", "Correct-Horse-7")
	e.Start(t)
	addrs := []string{e.Explicit(), e.Implicit()}
	cert := certs.Fingerprint(e.Server.Certificate())
	c := dial(t, addrs[0], false)
	if err := c.Login("alice", "Correct-Horse-7"); err != nil {
		t.Fatal(err)
	}

	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	spare, err := net.Listen("tcp", "127.0.0.2:0")
	if err != nil {
		t.Fatal(err)
	}
	spareAddr := spare.Addr().String()
	spare.Close()

	for _, tt := range []struct {
		name, key string
		edit      func(*config.Config)
	}{
		{"missing certificate", "tls.cert_file", func(c *config.Config) {
			c.TLS.CertFile = filepath.Join(t.TempDir(), "missing.pem")
			c.TLS.KeyFile = filepath.Join(t.TempDir(), "missing-key.pem")
		}},
		{"port in use", "server.listen", func(c *config.Config) { c.Server.Listen = busy.Addr().String() }},
		// The explicit listener binds, the implicit one fails: the first
		// must be let go again.
		{"second port in use", "server.implicit_listen", func(c *config.Config) {
			c.Server.Listen = spareAddr
			c.Server.ImplicitListen = busy.Addr().String()
		}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			next := newCertFiles(t, *e.Config)
			next.Server.Banner = "New banner"
			next.Access.DenyIPs = []string{"127.0.0.3"}
			tt.edit(next)
			err := e.Server.Reload(next)
			if err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Fatalf("Reload = %v, want an error naming %s", err, tt.key)
			}
			if got := []string{e.Explicit(), e.Implicit()}; got[0] != addrs[0] || got[1] != addrs[1] {
				t.Errorf("listeners %v, want %v", got, addrs)
			}
			if got := servedCert(t, addrs[0]); got != cert {
				t.Error("the certificate changed")
			}
			if got := banner(t, addrs[0]); got != "220 Old banner" {
				t.Errorf("greeting %q", got)
			}
			if refusedAtDoor(t, addrs[0], "127.0.0.3") {
				t.Error("the deny rule of the refused configuration applies")
			}
			if accepts(spareAddr) {
				t.Error("a listener of the refused configuration is left open")
			}
			if err := c.NoOp(); err != nil {
				t.Fatalf("session after a refused reload: %v", err)
			}
		})
	}
}

func TestReloadTurnsListenersOffAndOn(t *testing.T) {
	e := servertest.New(t)
	e.AddUser(t, "alice", "Correct-Horse-7")
	e.Start(t)
	implicit := e.Implicit()
	c := ftptest.DialImplicit(t, implicit, servertest.ClientTLS())
	c.Login("alice", "Correct-Horse-7")

	off := *e.Config
	off.Server.ImplicitListen = ""
	if err := e.Server.Reload(&off); err != nil {
		t.Fatal(err)
	}
	if n := len(e.Server.Addrs()); n != 1 {
		t.Fatalf("%d listeners after turning the implicit one off", n)
	}
	if accepts(implicit) {
		t.Error("the implicit port still accepts")
	}
	c.Expect("NOOP", 200) // its session goes on

	on := off
	on.Server.ImplicitListen = "127.0.0.1:0"
	if err := e.Server.Reload(&on); err != nil {
		t.Fatal(err)
	}
	ftptest.DialImplicit(t, e.Implicit(), servertest.ClientTLS()).Login("alice", "Correct-Horse-7")
}

func TestReloadDefenderSettings(t *testing.T) {
	e := defenderEnv(t)
	e.AddUser(t, "alice", "Correct-Horse-7")
	e.Start(t)
	addr := e.Explicit()

	// A ban made before the reload stays.
	for range 2 {
		if c, err := dialFrom(t, addr, "127.0.0.3"); err == nil {
			c.Login("nobody", "x") // 10 points each: the second bans
		}
	}
	waitFor(t, "the ban", func() bool { return refusedAtDoor(t, addr, "127.0.0.3") })

	next := *e.Config
	next.Defender.Blocklist = []string{"127.0.0.5"}
	next.Defender.MaxConnectionsPerIP = 1
	next.Defender.Threshold = 50
	if err := e.Server.Reload(&next); err != nil {
		t.Fatal(err)
	}
	if !refusedAtDoor(t, addr, "127.0.0.3") {
		t.Error("ban lost by the reload")
	}
	if !refusedAtDoor(t, addr, "127.0.0.5") {
		t.Error("new blocklist not applied")
	}
	held, err := dialFrom(t, addr, "127.0.0.6")
	if err != nil {
		t.Fatal(err)
	}
	defer held.Quit()
	d := net.Dialer{Timeout: 5 * time.Second, LocalAddr: &net.TCPAddr{IP: net.ParseIP("127.0.0.6")}}
	conn, err := d.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	if line, _ := bufio.NewReader(conn).ReadString('\n'); !strings.HasPrefix(line, "421") {
		t.Errorf("second connection from one address: %q, want 421 (max_connections_per_ip = 1)", line)
	}
}
