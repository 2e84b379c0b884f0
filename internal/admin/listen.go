package admin

import (
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"log/slog"
	"net"
	"net/http"
	"os"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
)

// Listen opens the admin listener c.Listen names. A Unix socket replaces a
// stale socket file (never any other file) and gets c.Mode(); a TCP address
// that is not loopback is served over TLS with tlsConf, so that tokens never
// cross a network in clear text.
func Listen(c config.Admin, tlsConf *tls.Config) (net.Listener, error) {
	if path, ok := c.UnixSocket(); ok {
		return listenUnix(path, c.Mode())
	}
	if c.Listen == "" {
		return nil, errors.New("admin.listen: empty: the admin API is disabled")
	}
	if !c.Loopback() && tlsConf == nil {
		return nil, fmt.Errorf("admin.listen: %q is not a loopback address, so the admin API needs TLS, and no certificate is configured ([tls])", c.Listen)
	}
	l, err := net.Listen("tcp", c.Listen)
	if err != nil {
		return nil, fmt.Errorf("admin.listen: %w", err)
	}
	if c.Loopback() {
		return l, nil
	}
	return wrapTLS(l, tlsConf), nil
}

// wrapTLS serves TLS on l with a copy of conf.
func wrapTLS(l net.Listener, conf *tls.Config) net.Listener {
	conf = conf.Clone()
	// The FTP configuration may offer other protocols; this listener
	// speaks HTTP/1.1 only.
	conf.NextProtos = []string{"http/1.1"}
	if conf.MinVersion < tls.VersionTLS12 {
		conf.MinVersion = tls.VersionTLS12
	}
	return tls.NewListener(l, conf)
}

func listenUnix(path string, mode uint32) (net.Listener, error) {
	if fi, err := os.Lstat(path); err == nil {
		if fi.Mode().Type() != fs.ModeSocket {
			return nil, fmt.Errorf("admin.listen: %s exists and is not a socket; remove it or choose another path", path)
		}
		// A socket left by an earlier run that did not stop cleanly.
		if err := os.Remove(path); err != nil {
			return nil, fmt.Errorf("admin.listen: removing stale socket: %w", err)
		}
	}
	l, err := net.Listen("unix", path)
	if err != nil {
		return nil, fmt.Errorf("admin.listen: %w", err)
	}
	if err := os.Chmod(path, fs.FileMode(mode)&fs.ModePerm); err != nil {
		l.Close()
		return nil, fmt.Errorf("admin.socket_mode: %w", err)
	}
	return l, nil
}

// NewHTTPServer returns a server for h with timeouts that a slow or
// hostile client cannot stretch.
func NewHTTPServer(h http.Handler, logger *slog.Logger) *http.Server {
	if logger == nil {
		logger = slog.New(slog.NewTextHandler(io.Discard, nil))
	}
	return &http.Server{
		Handler:           h,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(logger.With("component", "admin api").Handler(), slog.LevelWarn),
	}
}
