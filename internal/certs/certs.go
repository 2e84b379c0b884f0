// Package certs loads the server's TLS certificate, creates a self-signed
// one when none is configured, and swaps certificates at run time without
// dropping connections.
package certs

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io/fs"
	"math/big"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// File names of the self-signed certificate inside its directory.
const (
	SelfSignedCert = "cert.pem"
	SelfSignedKey  = "key.pem"
)

// selfSignedValidity is long because nobody renews a self-signed
// certificate; clients pin it by fingerprint or skip verification anyway.
const selfSignedValidity = 5 * 365 * 24 * time.Hour

// LoadOrCreate returns the server certificate. When certFile and keyFile are
// set it loads them; errors name the file at fault. When both are empty it
// uses dir/cert.pem and dir/key.pem, creating a self-signed ECDSA P-256
// certificate there when they are missing or the certificate has expired;
// created reports that.
func LoadOrCreate(dir, certFile, keyFile string, now func() time.Time) (cert *tls.Certificate, created bool, err error) {
	if now == nil {
		now = time.Now
	}
	switch {
	case certFile != "" && keyFile != "":
		cert, err := load(certFile, keyFile)
		return cert, false, err
	case certFile != "" || keyFile != "":
		return nil, false, errors.New("cert_file and key_file must be set together")
	}

	certPath := filepath.Join(dir, SelfSignedCert)
	keyPath := filepath.Join(dir, SelfSignedKey)
	certExists, err := exists(certPath)
	if err != nil {
		return nil, false, err
	}
	keyExists, err := exists(keyPath)
	if err != nil {
		return nil, false, err
	}
	switch {
	case certExists && keyExists:
		cert, err := load(certPath, keyPath)
		if err != nil {
			return nil, false, err
		}
		if now().Before(cert.Leaf.NotAfter) {
			return cert, false, nil
		}
		// An expired self-signed certificate is useless: replace it.
	case certExists:
		return nil, false, fmt.Errorf("key file %q is missing while %q exists; remove both to create a new certificate", keyPath, certPath)
	case keyExists:
		return nil, false, fmt.Errorf("certificate file %q is missing while %q exists; remove both to create a new certificate", certPath, keyPath)
	}

	certPEM, keyPEM, err := generate(now())
	if err != nil {
		return nil, false, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, false, err
	}
	// The key goes first so that a crash in between leaves "key without
	// certificate", which is reported, never a certificate whose key is gone.
	if err := writeFileAtomic(keyPath, keyPEM, 0o600); err != nil {
		return nil, false, err
	}
	if err := writeFileAtomic(certPath, certPEM, 0o644); err != nil {
		return nil, false, err
	}
	cert, err = load(certPath, keyPath)
	if err != nil {
		return nil, false, err
	}
	return cert, true, nil
}

// Fingerprint returns the SHA-256 digest of the leaf certificate as
// "SHA256:AB:CD:...", the form clients show when asking to trust a
// certificate. It returns "" when there is no certificate.
func Fingerprint(cert *tls.Certificate) string {
	if cert == nil || len(cert.Certificate) == 0 {
		return ""
	}
	sum := sha256.Sum256(cert.Certificate[0])
	pairs := make([]string, len(sum))
	for i, b := range sum {
		pairs[i] = strings.ToUpper(hex.EncodeToString([]byte{b}))
	}
	return "SHA256:" + strings.Join(pairs, ":")
}

func exists(path string) (bool, error) {
	_, err := os.Stat(path)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, fs.ErrNotExist):
		return false, nil
	}
	return false, err
}

// load reads a PEM certificate chain and its private key, checking each file
// on its own so that the error says which one is wrong.
func load(certFile, keyFile string) (*tls.Certificate, error) {
	certPEM, err := os.ReadFile(certFile)
	if err != nil {
		return nil, fmt.Errorf("certificate file %q: %w", certFile, pathErr(err))
	}
	keyPEM, err := os.ReadFile(keyFile)
	if err != nil {
		return nil, fmt.Errorf("key file %q: %w", keyFile, pathErr(err))
	}

	block, rest := pem.Decode(certPEM)
	for block != nil && block.Type != "CERTIFICATE" {
		block, rest = pem.Decode(rest)
	}
	if block == nil {
		return nil, fmt.Errorf("certificate file %q: no PEM CERTIFICATE block", certFile)
	}
	if _, err := x509.ParseCertificate(block.Bytes); err != nil {
		return nil, fmt.Errorf("certificate file %q: %w", certFile, err)
	}

	if err := checkKey(keyPEM); err != nil {
		return nil, fmt.Errorf("key file %q: %w", keyFile, err)
	}

	cert, err := tls.X509KeyPair(certPEM, keyPEM)
	if err != nil {
		return nil, fmt.Errorf("certificate file %q and key file %q: %w", certFile, keyFile, err)
	}
	if cert.Leaf == nil {
		leaf, err := x509.ParseCertificate(cert.Certificate[0])
		if err != nil {
			return nil, fmt.Errorf("certificate file %q: %w", certFile, err)
		}
		cert.Leaf = leaf
	}
	return &cert, nil
}

// pathErr drops the path from an *fs.PathError, which the caller already
// names.
func pathErr(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func checkKey(keyPEM []byte) error {
	rest := keyPEM
	for {
		var block *pem.Block
		block, rest = pem.Decode(rest)
		if block == nil {
			return errors.New("no PEM private key block")
		}
		if !strings.HasSuffix(block.Type, "PRIVATE KEY") {
			continue
		}
		if _, err := x509.ParsePKCS8PrivateKey(block.Bytes); err == nil {
			return nil
		}
		if _, err := x509.ParseECPrivateKey(block.Bytes); err == nil {
			return nil
		}
		if _, err := x509.ParsePKCS1PrivateKey(block.Bytes); err == nil {
			return nil
		}
		return errors.New("cannot parse the private key")
	}
}

// generate makes a self-signed server certificate for this host's name,
// localhost and the loopback addresses.
func generate(now time.Time) (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	serial, err := rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 128))
	if err != nil {
		return nil, nil, err
	}
	names := []string{"localhost"}
	commonName := "localhost"
	if host, err := os.Hostname(); err == nil && validDNSName(host) && host != "localhost" {
		names = append([]string{host}, names...)
		commonName = host
	}
	tmpl := &x509.Certificate{
		SerialNumber:          serial,
		Subject:               pkix.Name{CommonName: commonName, Organization: []string{"Bulwark self-signed"}},
		NotBefore:             now.Add(-time.Hour), // tolerate clients whose clocks lag
		NotAfter:              now.Add(selfSignedValidity),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		DNSNames:              names,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	keyDER, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	certPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
	keyPEM = pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: keyDER})
	return certPEM, keyPEM, nil
}

func validDNSName(s string) bool {
	if s == "" || len(s) > 253 {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '.':
		default:
			return false
		}
	}
	return true
}

// writeFileAtomic writes through a temporary file and a rename, so readers
// (a reload, a second process) never see half a file.
func writeFileAtomic(path string, data []byte, perm os.FileMode) error {
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	tmp := f.Name()
	defer os.Remove(tmp) // a no-op after the rename
	if err := f.Chmod(perm); err != nil {
		f.Close()
		return err
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(tmp, path)
}
