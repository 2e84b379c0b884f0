package certs

import (
	"crypto/tls"
	"errors"
	"fmt"
	"strings"
)

// defaultSuites returns the TLS 1.2 suites used when none are configured:
// forward secret key exchange (ECDHE) with an AEAD cipher only. TLS 1.3
// suites are always AEAD and Go does not let them be configured.
func defaultSuites() []uint16 {
	return []uint16{
		tls.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256,
		tls.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384,
		tls.TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256,
		tls.TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256,
	}
}

// DefaultCipherSuites returns the names of the TLS 1.2 suites used when the
// configuration names none.
func DefaultCipherSuites() []string {
	ids := defaultSuites()
	names := make([]string, len(ids))
	for i, id := range ids {
		names[i] = tls.CipherSuiteName(id)
	}
	return names
}

// ParseMinVersion maps "1.2" or "1.3" to the tls package constant.
func ParseMinVersion(s string) (uint16, error) {
	switch s {
	case "1.2":
		return tls.VersionTLS12, nil
	case "1.3":
		return tls.VersionTLS13, nil
	}
	return 0, fmt.Errorf("%q: must be \"1.2\" or \"1.3\"", s)
}

// ParseCipherSuites maps TLS 1.2 cipher suite names (as spelled by
// tls.CipherSuites) to their IDs. Only suites with ECDHE key exchange and an
// AEAD cipher (AES-GCM, ChaCha20-Poly1305) are accepted; insecure, CBC and
// static-RSA suites are refused, and so are TLS 1.3 suites, which cannot be
// configured. An empty list gives the defaults.
func ParseCipherSuites(names []string) ([]uint16, error) {
	if len(names) == 0 {
		return defaultSuites(), nil
	}
	known := make(map[string]*tls.CipherSuite)
	for _, cs := range tls.CipherSuites() {
		known[cs.Name] = cs
	}
	var ids []uint16
	var errs []error
	seen := make(map[uint16]bool)
	for _, name := range names {
		cs, ok := known[name]
		switch {
		case ok && isTLS13Only(cs):
			errs = append(errs, fmt.Errorf("%q: TLS 1.3 suites are always enabled and cannot be configured", name))
		case ok && acceptable(cs):
			if !seen[cs.ID] {
				seen[cs.ID] = true
				ids = append(ids, cs.ID)
			}
		case ok, isInsecure(name):
			errs = append(errs, fmt.Errorf("%q: not allowed (only ECDHE suites with AES-GCM or ChaCha20-Poly1305)", name))
		default:
			errs = append(errs, fmt.Errorf("%q: unknown cipher suite", name))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return ids, nil
}

func isTLS13Only(cs *tls.CipherSuite) bool {
	return len(cs.SupportedVersions) == 1 && cs.SupportedVersions[0] == tls.VersionTLS13
}

func acceptable(cs *tls.CipherSuite) bool {
	if !strings.HasPrefix(cs.Name, "TLS_ECDHE_") {
		return false
	}
	return strings.Contains(cs.Name, "_GCM_") || strings.Contains(cs.Name, "_CHACHA20_POLY1305")
}

func isInsecure(name string) bool {
	for _, cs := range tls.InsecureCipherSuites() {
		if cs.Name == name {
			return true
		}
	}
	return false
}

// TLSConfig builds the server-side TLS configuration: the minimum version
// ("1.2" or "1.3"), the TLS 1.2 cipher suites (see ParseCipherSuites) and the
// certificate served by r.
func TLSConfig(minVersion string, suites []string, r *Reloader) (*tls.Config, error) {
	if r == nil {
		return nil, errors.New("no certificate reloader")
	}
	version, err := ParseMinVersion(minVersion)
	if err != nil {
		return nil, fmt.Errorf("min_version: %w", err)
	}
	ids, err := ParseCipherSuites(suites)
	if err != nil {
		return nil, fmt.Errorf("cipher_suites: %w", err)
	}
	return &tls.Config{
		MinVersion:     version,
		CipherSuites:   ids,
		GetCertificate: r.GetCertificate,
	}, nil
}
