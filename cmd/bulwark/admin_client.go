package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"time"
	"unicode"

	"github.com/bulwark-ftp/bulwark/internal/admin"
	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/certs"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

// adminTokenEnv names the environment variable that holds an admin token.
const adminTokenEnv = "BULWARK_ADMIN_TOKEN"

// Limits of a call to the admin API.
const (
	adminTimeout       = 30 * time.Second
	maxAdminReplyBytes = 16 << 20
	// tempTokenLifetime bounds a temporary token left behind by a command
	// that could not delete it (killed, or the store unwritable).
	tempTokenLifetime = 2 * time.Minute
)

// adminClient calls the admin API of the running server.
type adminClient struct {
	// base is the URL the paths are appended to.
	base string
	// listen is admin.listen, as messages name the API.
	listen string
	token  string
	http   *http.Client
}

// adminSession is the store and identity a command talking to the admin
// API works with.
type adminSession struct {
	client *adminClient
	// st is the open store when the command made a temporary token (nil
	// when the token came from --token or the environment).
	st store.Store
}

// withAdmin connects to the admin API of the server configured, with the
// token given (--token), else $BULWARK_ADMIN_TOKEN, else a temporary token
// that it creates in the store (as every local administrative command, it
// may open the store) and deletes when fn returns.
func (a *app) withAdmin(ctx context.Context, f adminFlags, fn func(s adminSession) error) error {
	cfg, _, err := a.loadConfig()
	if err != nil {
		return err
	}
	if f.addr != "" {
		cfg.Admin.Listen = f.addr
		if err := cfg.Admin.Validate(); err != nil {
			return usagef("--admin: %v", strings.TrimPrefix(err.Error(), "admin.listen: "))
		}
	}
	token := f.token
	c, err := newAdminClient(cfg)
	if err != nil {
		return err
	}
	if token == "" {
		token = strings.TrimSpace(os.Getenv(adminTokenEnv))
	}
	if token != "" {
		c.token = token
		return fn(adminSession{client: c})
	}
	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()
	name, err := a.createTempToken(ctx, st, c, f.readOnly)
	if err != nil {
		return err
	}
	defer func() {
		// Deleted even when ctx is cancelled; if it cannot be, it expires
		// on its own shortly.
		if err := st.DeleteToken(context.WithoutCancel(ctx), name); err != nil && !errors.Is(err, store.ErrNotFound) {
			fmt.Fprintf(a.stderr, "warning: the temporary admin token %q could not be deleted (it expires by itself within %s): %v\n",
				name, tempTokenLifetime, err)
		}
	}()
	return fn(adminSession{client: c, st: st})
}

// createTempToken stores a short-lived token for this one command and gives
// it to c; read-only for a command that only reads. Such plumbing is not
// recorded in the audit trail: the command's own change is.
func (a *app) createTempToken(ctx context.Context, st store.Store, c *adminClient, readOnly bool) (string, error) {
	b := make([]byte, 6)
	rand.Read(b)
	// The name says who made it: the admin API records changes under it.
	who := strings.Map(func(r rune) rune {
		if r < 0x80 && (r == '.' || r == '_' || r == '-' || unicode.IsLetter(r) || unicode.IsDigit(r)) {
			return r
		}
		return '_'
	}, strings.TrimPrefix(audit.LocalActor(), "cli:"))
	name := "cli-" + who + "-" + hex.EncodeToString(b)
	tok, hash := admin.NewToken()
	now := a.now()
	// Temporary tokens a killed command left behind have expired: remove
	// them, so that they do not pile up in the store.
	if list, err := st.ListTokens(ctx); err == nil {
		for _, t := range list {
			if strings.HasPrefix(t.Name, "cli-") && !t.ExpiresAt.IsZero() && !now.Before(t.ExpiresAt) {
				st.DeleteToken(ctx, t.Name)
			}
		}
	}
	t := store.AdminToken{Name: name, Hash: hash, CreatedAt: now, ExpiresAt: now.Add(tempTokenLifetime), ReadOnly: readOnly}
	if err := st.CreateToken(ctx, &t); err != nil {
		return "", fmt.Errorf("creating a temporary admin token: %w", err)
	}
	c.token = tok
	return name, nil
}

// newAdminClient builds the client for admin.listen: HTTP over the Unix
// socket, plain HTTP to a loopback address, HTTPS otherwise.
func newAdminClient(cfg *config.Config) (*adminClient, error) {
	listen := cfg.Admin.Listen
	if listen == "" {
		return nil, errors.New("admin.listen is empty: the admin API is disabled")
	}
	c := &adminClient{listen: listen}
	tr := &http.Transport{
		ForceAttemptHTTP2:   true,
		TLSHandshakeTimeout: 10 * time.Second,
		DisableKeepAlives:   true,
	}
	if path, ok := cfg.Admin.UnixSocket(); ok {
		tr.DialContext = func(ctx context.Context, _, _ string) (net.Conn, error) {
			var d net.Dialer
			return d.DialContext(ctx, "unix", path)
		}
		// The host is not used to connect; it only fills the request line.
		c.base = "http://bulwark-admin"
	} else {
		host, port, err := net.SplitHostPort(listen)
		if err != nil {
			return nil, fmt.Errorf("admin.listen: %q: want HOST:PORT or unix:/path", listen)
		}
		host = dialHost(host)
		addr := net.JoinHostPort(host, port)
		if cfg.Admin.Loopback() {
			c.base = "http://" + addr
		} else {
			pinned, err := serverCerts(cfg)
			if err != nil {
				return nil, err
			}
			tr.TLSClientConfig = adminTLSConfig(host, pinned)
			c.base = "https://" + addr
		}
	}
	c.http = &http.Client{Transport: tr, Timeout: adminTimeout}
	return c, nil
}

// dialHost is where to reach a server listening on host: a listener on
// every address ("", 0.0.0.0, ::) is reached on loopback.
func dialHost(host string) string {
	if host == "" {
		return "127.0.0.1"
	}
	if ip, err := netip.ParseAddr(host); err == nil && ip.IsUnspecified() {
		if ip.Is4() {
			return "127.0.0.1"
		}
		return "::1"
	}
	return host
}

// serverCerts reads the certificate the server presents: tls.cert_file, or
// the self-signed one in <data_dir>/tls. A missing file is no error: the
// system roots may still vouch for the server.
func serverCerts(cfg *config.Config) ([]*x509.Certificate, error) {
	path := cfg.TLS.CertFile
	key := "tls.cert_file"
	if path == "" {
		path, key = filepath.Join(cfg.TLSDir(), certs.SelfSignedCert), "the self-signed certificate"
	}
	data, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	var out []*x509.Certificate
	for {
		var block *pem.Block
		block, data = pem.Decode(data)
		if block == nil {
			break
		}
		if block.Type != "CERTIFICATE" {
			continue
		}
		c, err := x509.ParseCertificate(block.Bytes)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		out = append(out, c)
	}
	return out, nil
}

// adminTLSConfig trusts the server's own certificate (pinned: the exact
// certificate, whatever names it carries, since a self-signed one names
// only this host and loopback) or else any certificate the system roots
// vouch for under host.
func adminTLSConfig(host string, pinned []*x509.Certificate) *tls.Config {
	return &tls.Config{
		MinVersion: tls.VersionTLS12,
		ServerName: host,
		// The standard verification would refuse a pinned self-signed
		// certificate reached by an address it does not name;
		// VerifyConnection below does the whole check instead.
		InsecureSkipVerify: true,
		VerifyConnection: func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("the server sent no certificate")
			}
			leaf := cs.PeerCertificates[0]
			for _, p := range pinned {
				if bytes.Equal(p.Raw, leaf.Raw) {
					return nil
				}
			}
			inter := x509.NewCertPool()
			for _, c := range cs.PeerCertificates[1:] {
				inter.AddCert(c)
			}
			_, err := leaf.Verify(x509.VerifyOptions{DNSName: host, Intermediates: inter})
			return err
		},
	}
}

// apiError is an answer of the admin API other than success.
type apiError struct {
	status int
	msg    string
}

func (e *apiError) Error() string { return e.msg }

// do sends one request and decodes a JSON answer into out (nil: none
// expected).
func (c *adminClient) do(ctx context.Context, method, path string, out any) error {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, nil)
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+c.token)
	req.Header.Set("Accept", "application/json")
	resp, err := c.http.Do(req)
	if err != nil {
		return c.transportError(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxAdminReplyBytes))
	if err != nil {
		return fmt.Errorf("admin API at %s: reading the answer: %w", c.listen, err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return c.statusError(resp.StatusCode, body)
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(body, out); err != nil {
		return fmt.Errorf("admin API at %s: unexpected answer to %s %s: %w", c.listen, method, path, err)
	}
	return nil
}

func (c *adminClient) transportError(err error) error {
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, fs.ErrNotExist) {
		// A TCP port nobody listens on, or a socket file that is not there.
		return fmt.Errorf("cannot reach the admin API at %s: is bulwark serve running?", c.listen)
	}
	var uerr interface{ Unwrap() error }
	if errors.As(err, &uerr) {
		err = uerr.Unwrap() // drop the method and URL (*url.Error): admin.listen says where
	}
	var (
		unknown  x509.UnknownAuthorityError
		hostname x509.HostnameError
		invalid  x509.CertificateInvalidError
	)
	if errors.As(err, &unknown) || errors.As(err, &hostname) || errors.As(err, &invalid) {
		return fmt.Errorf("admin API at %s: %w (trusted are the server's own certificate, tls.cert_file or the self-signed one under data_dir, and the system's roots)", c.listen, err)
	}
	return fmt.Errorf("admin API at %s: %w", c.listen, err)
}

func (c *adminClient) statusError(code int, body []byte) error {
	var e struct {
		Error string `json:"error"`
	}
	msg := http.StatusText(code)
	if json.Unmarshal(body, &e) == nil && e.Error != "" {
		msg = e.Error
	}
	msg = oneLine(msg)
	if code == http.StatusUnauthorized {
		msg = fmt.Sprintf("the admin API at %s refused the token (check --token or %s): %s", c.listen, adminTokenEnv, msg)
	}
	return &apiError{status: code, msg: msg}
}
