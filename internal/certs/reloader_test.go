package certs

import (
	"os"
	"strings"
	"testing"
)

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func TestReloaderReload(t *testing.T) {
	certA, keyA := pair(t)
	certB, keyB := pair(t)
	dir := t.TempDir()
	certFile, keyFile := dir+"/server.crt", dir+"/server.key"
	copyFile(t, certA, certFile)
	copyFile(t, keyA, keyFile)

	r, err := NewReloader(t.TempDir(), certFile, keyFile, clock(fixedNow))
	if err != nil {
		t.Fatal(err)
	}
	if r.Created() {
		t.Error("Created() = true for configured files")
	}
	a := Fingerprint(r.Current())

	copyFile(t, certB, certFile)
	copyFile(t, keyB, keyFile)
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	b := Fingerprint(r.Current())
	if a == b {
		t.Fatal("certificate unchanged after Reload")
	}
	got, err := r.GetCertificate(nil)
	if err != nil || Fingerprint(got) != b {
		t.Errorf("GetCertificate = %s, %v; want %s", Fingerprint(got), err, b)
	}

	// A broken file keeps the certificate in use.
	if err := os.WriteFile(certFile, []byte("broken"), 0o600); err != nil {
		t.Fatal(err)
	}
	err = r.Reload()
	if err == nil || !strings.Contains(err.Error(), certFile) {
		t.Fatalf("Reload error %v does not name %s", err, certFile)
	}
	if Fingerprint(r.Current()) != b {
		t.Error("failed Reload replaced the certificate")
	}

	// Use switches to other files; a failed Use changes nothing.
	if err := r.Use(t.TempDir(), certA, "/nonexistent/key.pem"); err == nil {
		t.Fatal("Use with a missing key succeeded")
	}
	if err := r.Use(t.TempDir(), certA, keyA); err != nil {
		t.Fatal(err)
	}
	if Fingerprint(r.Current()) != a {
		t.Error("Use did not switch the certificate")
	}
	copyFile(t, certB, certA) // Reload now re-reads the files given to Use
	copyFile(t, keyB, keyA)
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if Fingerprint(r.Current()) != b {
		t.Error("Reload did not re-read the files given to Use")
	}
}

func TestReloaderSelfSigned(t *testing.T) {
	dir := t.TempDir()
	r, err := NewReloader(dir, "", "", clock(fixedNow))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Created() {
		t.Error("Created() = false for a new self-signed certificate")
	}
	before := Fingerprint(r.Current())
	if err := r.Reload(); err != nil {
		t.Fatal(err)
	}
	if Fingerprint(r.Current()) != before {
		t.Error("Reload replaced a valid self-signed certificate")
	}
}
