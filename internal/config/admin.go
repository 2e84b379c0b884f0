package config

import (
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Admin is the [admin] section: the HTTP/JSON admin API, Prometheus
// metrics and health checks, on a listener of their own.
type Admin struct {
	// Listen is "HOST:PORT" or "unix:/path/to/socket"; "" disables the
	// admin API. A TCP address that is not loopback is served over TLS
	// with the [tls] certificate.
	Listen string `toml:"listen"`
	// SocketMode is the permission of a Unix socket, in octal ("0660").
	SocketMode string `toml:"socket_mode"`
	// MetricsRequireToken makes /metrics ask for a token like the API;
	// false lets a Prometheus without one scrape it. /healthz and /readyz
	// never need one.
	MetricsRequireToken bool `toml:"metrics_require_token"`
}

// DefaultAdminListen is where the admin API listens unless configured.
const DefaultAdminListen = "127.0.0.1:9121"

func defaultAdmin() Admin {
	return Admin{Listen: DefaultAdminListen, SocketMode: "0660", MetricsRequireToken: true}
}

// UnixSocket returns the socket path when Listen names a Unix socket.
func (a Admin) UnixSocket() (string, bool) {
	return strings.CutPrefix(a.Listen, "unix:")
}

// Mode returns socket_mode as a number (0660 when invalid).
func (a Admin) Mode() uint32 {
	m, err := strconv.ParseUint(a.SocketMode, 8, 32)
	if err != nil {
		return 0o660
	}
	return uint32(m)
}

// Loopback reports whether Listen is a Unix socket or a TCP address on a
// loopback interface (only such a listener may serve plain HTTP).
func (a Admin) Loopback() bool {
	if _, ok := a.UnixSocket(); ok {
		return true
	}
	host, _, err := net.SplitHostPort(a.Listen)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.Unmap().IsLoopback()
}

// Validate checks the [admin] section.
func (a Admin) Validate() error {
	var errs []error
	if path, ok := a.UnixSocket(); ok {
		if strings.TrimSpace(path) == "" {
			errs = append(errs, errors.New(`admin.listen: "unix:" needs a socket path`))
		}
	} else if a.Listen != "" {
		if _, port, err := net.SplitHostPort(a.Listen); err != nil {
			errs = append(errs, fmt.Errorf("admin.listen: %q: want HOST:PORT or unix:/path", a.Listen))
		} else if n, err := strconv.Atoi(port); err != nil || n < 0 || n > 65535 {
			errs = append(errs, fmt.Errorf("admin.listen: %q: bad port", a.Listen))
		}
	}
	if m, err := strconv.ParseUint(a.SocketMode, 8, 32); err != nil || m > 0o777 {
		errs = append(errs, fmt.Errorf("admin.socket_mode: %q: want an octal permission such as \"0660\"", a.SocketMode))
	}
	return errors.Join(errs...)
}
