package main

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	mrand "math/rand/v2"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// sizes are the workload sizes of one run.
type sizes struct {
	BigFile   int64 `json:"big_file_bytes"`
	MidFile   int64 `json:"mid_file_bytes"`
	Parallel  int   `json:"parallel_clients"`
	Logins    int   `json:"sequential_logins"`
	MaxIdle   int   `json:"idle_sessions_max"`
	ListFiles int   `json:"list_files"`
}

func fullSizes() sizes {
	return sizes{BigFile: 1 << 30, MidFile: 10 << 20, Parallel: 100, Logins: 300, MaxIdle: 1000, ListFiles: 10000}
}

func quickSizes() sizes {
	return sizes{BigFile: 64 << 20, MidFile: 10 << 20, Parallel: 20, Logins: 50, MaxIdle: 100, ListFiles: 1000}
}

// testUser is the one account every server gets. The password satisfies
// Bulwark's default password policy.
const (
	testUser     = "benchftp"
	testPassword = "Quartz-Lantern-71-Harbor"
)

// writeCert creates one RSA-2048 certificate and key used by every server.
// RSA is the one key type all four servers accept for their TLS 1.2 suites.
func writeCert(dir string) (certFile, keyFile string, err error) {
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", "", err
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(time.Now().UnixNano()),
		Subject:      pkix.Name{CommonName: "localhost"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:     []string{"localhost"},
		IPAddresses:  []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return "", "", err
	}
	certFile = filepath.Join(dir, "cert.pem")
	keyFile = filepath.Join(dir, "key.pem")
	if err := os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o644); err != nil {
		return "", "", err
	}
	kb := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	if err := os.WriteFile(keyFile, kb, 0o600); err != nil {
		return "", "", err
	}
	return certFile, keyFile, nil
}

// writeTestFiles creates the files every server serves: big.bin, mid.bin and
// a directory of many small files. Homes get hard links to them, so every
// server reads the same bytes from the page cache.
func writeTestFiles(dir string, sz sizes) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	if err := writeRandomFile(filepath.Join(dir, "big.bin"), sz.BigFile); err != nil {
		return err
	}
	if err := writeRandomFile(filepath.Join(dir, "mid.bin"), sz.MidFile); err != nil {
		return err
	}
	many := filepath.Join(dir, "many")
	if err := os.MkdirAll(many, 0o755); err != nil {
		return err
	}
	for i := range sz.ListFiles {
		name := filepath.Join(many, fmt.Sprintf("file-%05d.txt", i))
		if err := os.WriteFile(name, []byte(strconv.Itoa(i)+"\n"), 0o644); err != nil {
			return err
		}
	}
	return nil
}

func writeRandomFile(name string, size int64) error {
	f, err := os.OpenFile(name, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, 0o644)
	if err != nil {
		return err
	}
	block := randomBlock()
	for written := int64(0); written < size; {
		n := min(int64(len(block)), size-written)
		if _, err := f.Write(block[:n]); err != nil {
			f.Close()
			return err
		}
		written += n
	}
	return f.Close()
}

// randomBlock is 1 MiB of incompressible bytes, repeated for large files and
// uploads.
func randomBlock() []byte {
	b := make([]byte, 1<<20)
	r := mrand.NewChaCha8([32]byte{1, 2, 3})
	r.Read(b)
	return b
}

// populateHome links the test files into home and gives home to uid:gid.
func populateHome(files, home string, uid, gid int) error {
	if err := os.MkdirAll(filepath.Join(home, "many"), 0o755); err != nil {
		return err
	}
	for _, n := range []string{"big.bin", "mid.bin"} {
		if err := os.Link(filepath.Join(files, n), filepath.Join(home, n)); err != nil {
			return err
		}
	}
	ents, err := os.ReadDir(filepath.Join(files, "many"))
	if err != nil {
		return err
	}
	for _, e := range ents {
		if err := os.Link(filepath.Join(files, "many", e.Name()), filepath.Join(home, "many", e.Name())); err != nil {
			return err
		}
	}
	if err := os.Chown(home, uid, gid); err != nil {
		return err
	}
	return os.Chown(filepath.Join(home, "many"), uid, gid)
}

// systemUser makes sure the login account for vsftpd and ProFTPD exists,
// has home as its home and testPassword as its password.
func systemUser(home string) (uid, gid int, err error) {
	if os.Geteuid() != 0 {
		return 0, 0, fmt.Errorf("a system account is needed and only root can create it")
	}
	if _, err := user.Lookup(testUser); err != nil {
		if out, err := exec.Command("useradd", "-M", "-d", home, "-s", "/bin/sh", testUser).CombinedOutput(); err != nil {
			return 0, 0, fmt.Errorf("useradd: %v: %s", err, out)
		}
	} else if out, err := exec.Command("usermod", "-d", home, testUser).CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("usermod: %v: %s", err, out)
	}
	cmd := exec.Command("chpasswd")
	cmd.Stdin = strings.NewReader(testUser + ":" + testPassword + "\n")
	if out, err := cmd.CombinedOutput(); err != nil {
		return 0, 0, fmt.Errorf("chpasswd: %v: %s", err, out)
	}
	u, err := user.Lookup(testUser)
	if err != nil {
		return 0, 0, err
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid, nil
}
