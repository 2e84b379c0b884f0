package certs

import "crypto/tls"

// Set switches to cert, which the caller loaded from the given files with
// LoadOrCreate. It lets a configuration change read the certificate among
// the steps that may fail and switch to it later in one that cannot.
func (r *Reloader) Set(dir, certFile, keyFile string, cert *tls.Certificate) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.dir, r.certFile, r.keyFile = dir, certFile, keyFile
	r.current.Store(cert)
}
