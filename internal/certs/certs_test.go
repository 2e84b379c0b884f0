package certs

import (
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"
)

var fixedNow = time.Date(2030, 1, 2, 3, 4, 5, 0, time.UTC)

func clock(t time.Time) func() time.Time { return func() time.Time { return t } }

func TestLoadOrCreateGenerates(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "tls")
	cert, created, err := LoadOrCreate(dir, "", "", clock(fixedNow))
	if err != nil {
		t.Fatal(err)
	}
	if !created {
		t.Fatal("created = false on an empty directory")
	}
	leaf := cert.Leaf
	if !slices.Contains(leaf.DNSNames, "localhost") {
		t.Errorf("DNS names %v lack localhost", leaf.DNSNames)
	}
	var ips []string
	for _, ip := range leaf.IPAddresses {
		ips = append(ips, ip.String())
	}
	for _, want := range []string{"127.0.0.1", "::1"} {
		if !slices.Contains(ips, want) {
			t.Errorf("IP addresses %v lack %s", ips, want)
		}
	}
	if want := fixedNow.Add(selfSignedValidity); !leaf.NotAfter.Equal(want) {
		t.Errorf("NotAfter = %v, want %v", leaf.NotAfter, want)
	}
	if !slices.Contains(leaf.ExtKeyUsage, x509.ExtKeyUsageServerAuth) {
		t.Errorf("ExtKeyUsage %v lacks server auth", leaf.ExtKeyUsage)
	}
	if leaf.PublicKeyAlgorithm != x509.ECDSA {
		t.Errorf("key algorithm %v, want ECDSA", leaf.PublicKeyAlgorithm)
	}

	checkMode(t, dir, 0o700)
	checkMode(t, filepath.Join(dir, SelfSignedKey), 0o600)

	again, created, err := LoadOrCreate(dir, "", "", clock(fixedNow.Add(time.Hour)))
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Error("created = true although the certificate exists")
	}
	if Fingerprint(again) != Fingerprint(cert) {
		t.Error("second call returned a different certificate")
	}

	// Once expired, the self-signed certificate is replaced.
	renewed, created, err := LoadOrCreate(dir, "", "", clock(leaf.NotAfter.Add(time.Second)))
	if err != nil {
		t.Fatal(err)
	}
	if !created || Fingerprint(renewed) == Fingerprint(cert) {
		t.Errorf("expired certificate not replaced (created=%v)", created)
	}
}

func checkMode(t *testing.T, path string, want os.FileMode) {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if got := fi.Mode().Perm(); got != want {
		t.Errorf("%s: mode %o, want %o", path, got, want)
	}
}

// pair creates a self-signed certificate in its own directory and returns
// the file names.
func pair(t *testing.T) (certFile, keyFile string) {
	t.Helper()
	dir := t.TempDir()
	if _, _, err := LoadOrCreate(dir, "", "", clock(fixedNow)); err != nil {
		t.Fatal(err)
	}
	return filepath.Join(dir, SelfSignedCert), filepath.Join(dir, SelfSignedKey)
}

func TestLoadErrorsNameTheFile(t *testing.T) {
	certFile, keyFile := pair(t)
	otherCert, otherKey := pair(t)
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.pem")
	if err := os.WriteFile(garbage, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	badKey := filepath.Join(dir, "badkey.pem")
	if err := os.WriteFile(badKey, []byte("-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(dir, "missing.pem")

	tests := []struct {
		name       string
		cert, key  string
		wantInErr  []string
		wantAbsent string
	}{
		{"missing cert", missing, keyFile, []string{"certificate file", missing, "no such file"}, keyFile},
		{"missing key", certFile, missing, []string{"key file", missing}, ""},
		{"garbage cert", garbage, keyFile, []string{"certificate file", garbage, "no PEM CERTIFICATE"}, keyFile},
		{"garbage key", certFile, garbage, []string{"key file", garbage, "no PEM private key"}, ""},
		{"unparsable key", certFile, badKey, []string{"key file", badKey}, ""},
		{"key of another certificate", certFile, otherKey, []string{certFile, otherKey}, ""},
		{"cert without key", otherCert, "", []string{"cert_file and key_file"}, ""},
		{"key without cert", "", otherKey, []string{"cert_file and key_file"}, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := LoadOrCreate(t.TempDir(), tt.cert, tt.key, clock(fixedNow))
			if err == nil {
				t.Fatal("no error")
			}
			for _, want := range tt.wantInErr {
				if !strings.Contains(err.Error(), want) {
					t.Errorf("error %q does not contain %q", err, want)
				}
			}
			if tt.wantAbsent != "" && strings.Contains(err.Error(), tt.wantAbsent) {
				t.Errorf("error %q names the innocent file %q", err, tt.wantAbsent)
			}
		})
	}
}

func TestLoadOrCreateHalfPair(t *testing.T) {
	for _, remove := range []string{SelfSignedCert, SelfSignedKey} {
		t.Run(remove, func(t *testing.T) {
			dir := t.TempDir()
			if _, _, err := LoadOrCreate(dir, "", "", clock(fixedNow)); err != nil {
				t.Fatal(err)
			}
			if err := os.Remove(filepath.Join(dir, remove)); err != nil {
				t.Fatal(err)
			}
			_, _, err := LoadOrCreate(dir, "", "", clock(fixedNow))
			if err == nil || !strings.Contains(err.Error(), filepath.Join(dir, remove)) {
				t.Errorf("error %v does not name the missing %s", err, remove)
			}
		})
	}
}

func TestLoadConfiguredFiles(t *testing.T) {
	certFile, keyFile := pair(t)
	dir := t.TempDir()
	cert, created, err := LoadOrCreate(dir, certFile, keyFile, clock(fixedNow))
	if err != nil {
		t.Fatal(err)
	}
	if created {
		t.Error("created = true for configured files")
	}
	if cert.Leaf == nil {
		t.Error("Leaf not set")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("self-signed directory used although files are configured: %v", entries)
	}
}

func TestFingerprint(t *testing.T) {
	certFile, keyFile := pair(t)
	cert, err := load(certFile, keyFile)
	if err != nil {
		t.Fatal(err)
	}
	fp := Fingerprint(cert)
	if !regexp.MustCompile(`^SHA256:([0-9A-F]{2}:){31}[0-9A-F]{2}$`).MatchString(fp) {
		t.Fatalf("fingerprint %q has the wrong form", fp)
	}
	sum := sha256.Sum256(cert.Certificate[0])
	want := "SHA256:" + strings.ToUpper(strings.Join(strings.Split(fmt.Sprintf("% x", sum[:]), " "), ":"))
	if fp != want {
		t.Errorf("Fingerprint = %s, want %s", fp, want)
	}
	if got := Fingerprint(nil); got != "" {
		t.Errorf("Fingerprint(nil) = %q", got)
	}
	if got := Fingerprint(&tls.Certificate{}); got != "" {
		t.Errorf("Fingerprint(empty) = %q", got)
	}
}
