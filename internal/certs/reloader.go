package certs

import (
	"crypto/tls"
	"sync"
	"sync/atomic"
	"time"
)

// Reloader serves the current certificate to TLS handshakes and replaces it
// on demand (SIGHUP). A failed reload keeps the certificate in use.
type Reloader struct {
	now func() time.Time

	mu       sync.Mutex // serialises reloads and guards the file names
	dir      string
	certFile string
	keyFile  string

	created bool
	current atomic.Pointer[tls.Certificate]
}

// NewReloader loads (or creates) the certificate as LoadOrCreate does.
func NewReloader(dir, certFile, keyFile string, now func() time.Time) (*Reloader, error) {
	if now == nil {
		now = time.Now
	}
	cert, created, err := LoadOrCreate(dir, certFile, keyFile, now)
	if err != nil {
		return nil, err
	}
	r := &Reloader{now: now, dir: dir, certFile: certFile, keyFile: keyFile, created: created}
	r.current.Store(cert)
	return r, nil
}

// Created reports whether NewReloader created a self-signed certificate.
func (r *Reloader) Created() bool { return r.created }

// Current returns the certificate in use.
func (r *Reloader) Current() *tls.Certificate { return r.current.Load() }

// GetCertificate is meant for tls.Config.GetCertificate.
func (r *Reloader) GetCertificate(*tls.ClientHelloInfo) (*tls.Certificate, error) {
	return r.current.Load(), nil
}

// Reload re-reads the certificate files. On error the current certificate
// stays in use.
func (r *Reloader) Reload() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.use(r.dir, r.certFile, r.keyFile)
}

// Use switches to other files (a changed configuration). On error nothing
// changes.
func (r *Reloader) Use(dir, certFile, keyFile string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.use(dir, certFile, keyFile)
}

func (r *Reloader) use(dir, certFile, keyFile string) error {
	cert, _, err := LoadOrCreate(dir, certFile, keyFile, r.now)
	if err != nil {
		return err
	}
	r.dir, r.certFile, r.keyFile = dir, certFile, keyFile
	r.current.Store(cert)
	return nil
}
