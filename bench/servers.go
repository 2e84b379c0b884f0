package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/GehirnInc/crypt"
	_ "github.com/GehirnInc/crypt/sha512_crypt"
)

// env holds what every server setup shares.
type env struct {
	work      string // temporary directory of this run
	pkgRoot   string // Debian packages unpacked here when not installed
	cert, key string
	files     string
	bulwark   string // built binary
	uid, gid  int    // system account for vsftpd, ProFTPD and Pure-FTPd
	userErr   error  // why there is no system account
	sysHome   string
}

// serverDef describes how to set up and start one server.
type serverDef struct {
	Name    string
	Ports   string // passive range
	Port    int    // control port
	Version func(e *env) string
	// Prepare runs once before the first start; an error marks the server
	// missing.
	Prepare func(e *env) error
	// Start starts it, with TLS required or (clear) optional.
	Start func(e *env, clear bool) (*proc, error)
}

// tlsCiphers12 are the TLS 1.2 suites every server is limited to; TLS 1.3
// negotiates AES-GCM on its own with this client.
const tlsCiphers12 = "ECDHE-RSA-AES128-GCM-SHA256:ECDHE-RSA-AES256-GCM-SHA384"

func servers() []serverDef {
	return []serverDef{
		{Name: "Bulwark", Port: 22021, Ports: "52000-53999", Version: bulwarkVersion, Prepare: bulwarkPrepare, Start: bulwarkStart},
		{Name: "vsftpd", Port: 22022, Ports: "54000-55999", Version: vsftpdVersion, Prepare: needSystemUser, Start: vsftpdStart},
		{Name: "ProFTPD", Port: 22023, Ports: "56000-57999", Version: proftpdVersion, Prepare: needSystemUser, Start: proftpdStart},
		{Name: "Pure-FTPd", Port: 22024, Ports: "58000-59999", Version: pureVersion, Prepare: purePrepare, Start: pureStart},
	}
}

// packages are the Debian packages (and libraries that a plain Debian
// system may lack) needed by each reference server.
var packages = map[string][]string{
	"vsftpd":    {"vsftpd", "libwrap0"},
	"ProFTPD":   {"proftpd-core", "proftpd-mod-crypto", "libhiredis0.14", "libmemcached11", "libmemcachedutil2", "libhashkit2", "libpcre2-posix3"},
	"Pure-FTPd": {"pure-ftpd"},
}

// binary finds an installed program, else one unpacked from its Debian
// package with apt-get download and dpkg -x.
func (e *env) binary(server, name string) (string, []string, error) {
	for _, p := range []string{"/usr/sbin/" + name, "/usr/bin/" + name} {
		if _, err := os.Stat(p); err == nil {
			return p, nil, nil
		}
	}
	libs := []string{"LD_LIBRARY_PATH=" + filepath.Join(e.pkgRoot, "usr/lib/x86_64-linux-gnu") + ":" + filepath.Join(e.pkgRoot, "lib/x86_64-linux-gnu")}
	unpacked := func() (string, bool) {
		for _, dir := range []string{"usr/sbin", "usr/bin"} {
			p := filepath.Join(e.pkgRoot, dir, name)
			if _, err := os.Stat(p); err == nil {
				return p, true
			}
		}
		return "", false
	}
	if p, ok := unpacked(); ok {
		return p, libs, nil
	}
	debs := filepath.Join(e.pkgRoot, "..", "debs")
	if err := os.MkdirAll(debs, 0o755); err != nil {
		return "", nil, err
	}
	cmd := exec.Command("apt-get", append([]string{"download"}, packages[server]...)...)
	cmd.Dir = debs
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", nil, fmt.Errorf("apt-get download: %v: %s", err, strings.TrimSpace(string(out)))
	}
	ents, _ := os.ReadDir(debs)
	for _, d := range ents {
		if strings.HasSuffix(d.Name(), ".deb") {
			if out, err := exec.Command("dpkg", "-x", filepath.Join(debs, d.Name()), e.pkgRoot).CombinedOutput(); err != nil {
				return "", nil, fmt.Errorf("dpkg -x %s: %v: %s", d.Name(), err, out)
			}
		}
	}
	p, ok := unpacked()
	if !ok {
		return "", nil, fmt.Errorf("%s not found after unpacking %v", name, packages[server])
	}
	return p, libs, nil
}

func needSystemUser(e *env) error { return e.userErr }

func run(bin string, envv []string, args ...string) string {
	cmd := exec.Command(bin, args...)
	cmd.Env = append(os.Environ(), envv...)
	out, _ := cmd.CombinedOutput()
	return strings.TrimSpace(string(out))
}

// --- vsftpd ---

func vsftpdVersion(e *env) string {
	bin, envv, err := e.binary("vsftpd", "vsftpd")
	if err != nil {
		return "unknown"
	}
	// vsftpd prints its version on standard input's descriptor.
	cmd := exec.Command("sh", "-c", `"$0" -v 0>&1`, bin)
	cmd.Env = append(os.Environ(), envv...)
	out, _ := cmd.CombinedOutput()
	return strings.TrimSpace(string(out))
}

func vsftpdStart(e *env, clear bool) (*proc, error) {
	bin, envv, err := e.binary("vsftpd", "vsftpd")
	if err != nil {
		return nil, err
	}
	empty := filepath.Join(e.work, "vsftpd-empty")
	os.MkdirAll(empty, 0o755)
	lo, hi, _ := strings.Cut(servers()[1].Ports, "-")
	force := map[bool]string{false: "YES", true: "NO"}[clear]
	conf := fmt.Sprintf(`listen=YES
listen_address=127.0.0.1
listen_port=%d
background=NO
anonymous_enable=NO
local_enable=YES
write_enable=YES
chroot_local_user=YES
allow_writeable_chroot=YES
secure_chroot_dir=%s
pam_service_name=bulwark-bench-ftp
userlist_enable=NO
pasv_min_port=%s
pasv_max_port=%s
max_clients=0
max_per_ip=0
idle_session_timeout=3600
data_connection_timeout=600
isolate=NO
isolate_network=NO
seccomp_sandbox=NO
xferlog_enable=NO
ssl_enable=YES
rsa_cert_file=%s
rsa_private_key_file=%s
ssl_ciphers=%s
ssl_request_cert=NO
require_ssl_reuse=YES
force_local_logins_ssl=%s
force_local_data_ssl=%s
`, servers()[1].Port, empty, lo, hi, e.cert, e.key, tlsCiphers12, force, force)
	cf := filepath.Join(e.work, "vsftpd.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	return startProc([]string{bin, cf}, envv, fmt.Sprintf("127.0.0.1:%d", servers()[1].Port), filepath.Join(e.work, "vsftpd.log"))
}

// --- ProFTPD ---

func proftpdVersion(e *env) string {
	bin, envv, err := e.binary("ProFTPD", "proftpd")
	if err != nil {
		return "unknown"
	}
	return run(bin, envv, "-v")
}

func proftpdStart(e *env, clear bool) (*proc, error) {
	bin, envv, err := e.binary("ProFTPD", "proftpd")
	if err != nil {
		return nil, err
	}
	modDir := "/usr/lib/proftpd"
	if strings.HasPrefix(bin, e.pkgRoot) {
		modDir = filepath.Join(e.pkgRoot, "usr/lib/proftpd")
	}
	lo, hi, _ := strings.Cut(servers()[2].Ports, "-")
	required := map[bool]string{false: "on", true: "off"}[clear]
	conf := fmt.Sprintf(`ServerName "bench"
ServerType standalone
DefaultServer on
DefaultAddress 127.0.0.1
SocketBindTight on
Port %d
UseIPv6 off
User nobody
Group nogroup
PidFile %[2]s/proftpd.pid
ScoreboardFile %[2]s/proftpd.scoreboard
DelayTable %[2]s/proftpd.delay
SystemLog %[2]s/proftpd.syslog
WtmpLog off
UseReverseDNS off
MaxInstances 3000
RequireValidShell off
DefaultRoot ~
AllowOverwrite on
PassivePorts %s %s
TimeoutIdle 3600
TimeoutNoTransfer 3600
TimeoutLogin 300
ModulePath %s
LoadModule mod_tls.c
<IfModule mod_ident.c>
  IdentLookups off
</IfModule>
<IfModule mod_delay.c>
  DelayEngine off
</IfModule>
<IfModule mod_auth_pam.c>
  AuthPAM off
</IfModule>
AuthOrder mod_auth_unix.c
TLSEngine on
TLSRequired %s
TLSProtocol TLSv1.2 TLSv1.3
TLSCipherSuite %s
TLSRSACertificateFile %s
TLSRSACertificateKeyFile %s
TLSVerifyClient off
`, servers()[2].Port, e.work, lo, hi, modDir, required, tlsCiphers12, e.cert, e.key)
	cf := filepath.Join(e.work, "proftpd.conf")
	if err := os.WriteFile(cf, []byte(conf), 0o600); err != nil {
		return nil, err
	}
	return startProc([]string{bin, "-n", "-c", cf}, envv, fmt.Sprintf("127.0.0.1:%d", servers()[2].Port), filepath.Join(e.work, "proftpd.log"))
}

// --- Pure-FTPd ---

func pureVersion(e *env) string {
	bin, envv, err := e.binary("Pure-FTPd", "pure-ftpd")
	if err != nil {
		return "unknown"
	}
	first, _, _ := strings.Cut(run(bin, envv, "--help"), "\n")
	return first
}

// purePrepare writes a PureDB of one virtual user mapped to the system
// account, with a SHA-512-crypt hash of the test password.
func purePrepare(e *env) error {
	if e.userErr != nil {
		return e.userErr
	}
	pw, _, err := e.binary("Pure-FTPd", "pure-pw")
	if err != nil {
		return err
	}
	_, envv, _ := e.binary("Pure-FTPd", "pure-ftpd")
	hash, err := crypt.SHA512.New().Generate([]byte(testPassword), nil)
	if err != nil {
		return err
	}
	line := fmt.Sprintf("%s:%s:%d:%d::%s/./::::::::::::\n", testUser, hash, e.uid, e.gid, e.sysHome)
	pf := filepath.Join(e.work, "pureftpd.passwd")
	if err := os.WriteFile(pf, []byte(line), 0o600); err != nil {
		return err
	}
	cmd := exec.Command(pw, "mkdb", filepath.Join(e.work, "pureftpd.pdb"), "-f", pf)
	cmd.Env = append(os.Environ(), envv...)
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("pure-pw mkdb: %v: %s", err, out)
	}
	return nil
}

func pureStart(e *env, clear bool) (*proc, error) {
	bin, envv, err := e.binary("Pure-FTPd", "pure-ftpd")
	if err != nil {
		return nil, err
	}
	lo, hi, _ := strings.Cut(servers()[3].Ports, "-")
	tlsMode := map[bool]string{false: "2", true: "1"}[clear]
	argv := []string{bin,
		"-S", fmt.Sprintf("127.0.0.1,%d", servers()[3].Port),
		"-p", lo + ":" + hi,
		"-l", "puredb:" + filepath.Join(e.work, "pureftpd.pdb"),
		"-A", "-E", "-H", "-4",
		"-c", "3000", "-C", "3000",
		"-I", "60",
		"-Y", tlsMode,
		"-2", e.cert + "," + e.key,
		"-J", tlsCiphers12,
	}
	return startProc(argv, envv, fmt.Sprintf("127.0.0.1:%d", servers()[3].Port), filepath.Join(e.work, "pure-ftpd.log"))
}
