package admin

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/certs"
	"github.com/bulwark-ftp/bulwark/internal/config"
)

// serve runs the API on l until the test ends and returns a client that
// reaches it whatever the URL says.
func serve(t *testing.T, f *fixture, l net.Listener) {
	t.Helper()
	srv := NewHTTPServer(f.api, nil)
	done := make(chan error, 1)
	go func() { done <- srv.Serve(l) }()
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		srv.Shutdown(ctx)
		if err := <-done; !errors.Is(err, http.ErrServerClosed) {
			t.Errorf("Serve: %v", err)
		}
	})
}

func getBody(t *testing.T, c *http.Client, url, token string) (int, string) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func unixClient(path string) *http.Client {
	return &http.Client{Transport: &http.Transport{
		DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
			return (&net.Dialer{}).DialContext(ctx, "unix", path)
		},
	}}
}

func TestListenUnixSocket(t *testing.T) {
	f := newFixture(t)
	path := filepath.Join(t.TempDir(), "admin.sock")
	// A socket file left by a run that did not stop cleanly.
	stale, err := net.Listen("unix", path)
	if err != nil {
		t.Fatal(err)
	}
	stale.(*net.UnixListener).SetUnlinkOnClose(false)
	stale.Close()
	if _, err := os.Lstat(path); err != nil {
		t.Fatalf("stale socket not left behind: %v", err)
	}

	l, err := Listen(config.Admin{Listen: "unix:" + path, SocketMode: "0600"}, nil)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeSocket || fi.Mode().Perm() != 0o600 {
		t.Errorf("socket mode %v, want a socket with 0600", fi.Mode())
	}
	serve(t, f, l)
	c := unixClient(path)
	if code, body := getBody(t, c, "http://admin/healthz", ""); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("healthz over the socket: %d %s", code, body)
	}
	if code, _ := getBody(t, c, "http://admin/api/v1/status", f.token); code != 200 {
		t.Errorf("status over the socket: %d", code)
	}
}

func TestListenUnixSocketMode(t *testing.T) {
	path := filepath.Join(t.TempDir(), "admin.sock")
	l, err := Listen(config.Admin{Listen: "unix:" + path, SocketMode: "0660"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o660 {
		t.Errorf("socket mode %v (%v), want 0660", fi.Mode(), err)
	}
}

func TestListenRefusesToReplaceAFile(t *testing.T) {
	path := filepath.Join(t.TempDir(), "data.db")
	if err := os.WriteFile(path, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := Listen(config.Admin{Listen: "unix:" + path, SocketMode: "0660"}, nil)
	if err == nil || !strings.Contains(err.Error(), "admin.listen") || !strings.Contains(err.Error(), "not a socket") {
		t.Fatalf("Listen over a regular file: %v", err)
	}
	if b, err := os.ReadFile(path); err != nil || string(b) != "precious" {
		t.Errorf("file touched: %q, %v", b, err)
	}
}

func TestListenTCPLoopbackPlain(t *testing.T) {
	f := newFixture(t)
	l, err := Listen(config.Admin{Listen: "127.0.0.1:0"}, nil)
	if err != nil {
		t.Fatalf("Listen: %v", err)
	}
	serve(t, f, l)
	url := "http://" + l.Addr().String()
	if code, body := getBody(t, http.DefaultClient, url+"/healthz", ""); code != 200 || !strings.Contains(body, "ok") {
		t.Errorf("healthz: %d %s", code, body)
	}
	if code, _ := getBody(t, http.DefaultClient, url+"/api/v1/users", f.token); code != 200 {
		t.Errorf("users: %d", code)
	}
	if code, _ := getBody(t, http.DefaultClient, url+"/api/v1/users", ""); code != 401 {
		t.Errorf("users without token: %d", code)
	}
}

func TestListenNonLoopbackNeedsTLS(t *testing.T) {
	for _, addr := range []string{"0.0.0.0:0", "[::]:0", "192.0.2.10:9121"} {
		_, err := Listen(config.Admin{Listen: addr}, nil)
		if err == nil || !strings.Contains(err.Error(), "admin.listen") || !strings.Contains(err.Error(), "TLS") {
			t.Errorf("Listen(%s) without TLS: %v", addr, err)
		}
	}
}

// TestTLSWrapping checks the listener a non-loopback address gets, on
// loopback: TLS with the given certificate, HTTP/1.1 by ALPN, TLS 1.2 at
// least, and the caller's configuration left as it was.
func TestTLSWrapping(t *testing.T) {
	f := newFixture(t)
	cert, _, err := certs.LoadOrCreate(t.TempDir(), "", "", time.Now)
	if err != nil {
		t.Fatal(err)
	}
	conf := &tls.Config{Certificates: []tls.Certificate{*cert}, NextProtos: []string{"ftp"}}
	raw, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	serve(t, f, wrapTLS(raw, conf))
	if len(conf.NextProtos) != 1 || conf.NextProtos[0] != "ftp" {
		t.Errorf("caller's tls.Config changed: %v", conf.NextProtos)
	}
	leaf, err := x509.ParseCertificate(cert.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	client := &http.Client{Transport: &http.Transport{TLSClientConfig: &tls.Config{
		RootCAs: pool, ServerName: leaf.DNSNames[0], NextProtos: []string{"http/1.1"}}}}
	if code, _ := getBody(t, client, "https://"+raw.Addr().String()+"/api/v1/status", f.token); code != 200 {
		t.Errorf("status over TLS: %d", code)
	}
	conn, err := tls.Dial("tcp", raw.Addr().String(), &tls.Config{RootCAs: pool, ServerName: leaf.DNSNames[0],
		MaxVersion: tls.VersionTLS11})
	if err == nil {
		conn.Close()
		t.Errorf("TLS 1.1 accepted")
	}
	// Plain HTTP on the TLS port gets nothing useful.
	if resp, err := http.Get("http://" + raw.Addr().String() + "/healthz"); err == nil {
		resp.Body.Close()
		if resp.StatusCode == 200 {
			t.Errorf("plain HTTP served on the TLS listener")
		}
	}
}

func TestNewHTTPServerTimeouts(t *testing.T) {
	s := NewHTTPServer(http.NotFoundHandler(), nil)
	if s.ReadHeaderTimeout != 10*time.Second || s.ReadTimeout != 30*time.Second || s.WriteTimeout != time.Minute ||
		s.IdleTimeout != 2*time.Minute || s.MaxHeaderBytes != 64<<10 || s.ErrorLog == nil {
		t.Errorf("server settings %+v", s)
	}
}
