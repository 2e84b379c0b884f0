//go:build linux

package main

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
)

// nobody returns the ids of the account "nobody", or skips the test.
func nobody(t *testing.T) (uid, gid int) {
	t.Helper()
	u, err := user.Lookup("nobody")
	if err != nil {
		t.Skipf("no user nobody on this system: %v", err)
	}
	uid, _ = strconv.Atoi(u.Uid)
	gid, _ = strconv.Atoi(u.Gid)
	return uid, gid
}

func requireRoot(t *testing.T) {
	t.Helper()
	if os.Geteuid() != 0 {
		t.Skip("switching accounts needs root; run the tests as root to cover it")
	}
}

func TestPlanPrivDrop(t *testing.T) {
	uid, gid := nobody(t)
	root := procIDs{euid: 0, uid: 0, gid: 0}
	asNobody := procIDs{euid: uid, uid: uid, gid: gid}
	someone := procIDs{euid: 4242, uid: 4242, gid: 4242}
	tests := []struct {
		name        string
		user, group string
		ids         procIDs
		wantErr     []string // all in the error; nil: no error
		wantWarn    string
		wantSwitch  bool
	}{
		{name: "nothing set, not root", ids: someone},
		{name: "nothing set, root", ids: root, wantWarn: "server.run_as_user"},
		{name: "group without user", group: "nogroup", ids: root, wantErr: []string{"server.run_as_group", "needs server.run_as_user"}},
		{name: "unknown user", user: "bulwark-no-such-user", ids: root, wantErr: []string{"server.run_as_user", "bulwark-no-such-user", "no such user"}},
		{name: "unknown numeric user", user: "4000000000", ids: root, wantErr: []string{"server.run_as_user", "no such user"}},
		{name: "unknown group", user: "nobody", group: "bulwark-no-such-group", ids: root, wantErr: []string{"server.run_as_group", "no such group"}},
		{name: "not root, other user", user: "nobody", ids: someone, wantErr: []string{"server.run_as_user", "needs root", "uid 4242"}},
		{name: "not root, already that user", user: "nobody", ids: asNobody, wantWarn: "already running as"},
		{name: "not root, already that user by number", user: strconv.Itoa(uid), ids: asNobody, wantWarn: "already running as"},
		{name: "root to root", user: "root", ids: root, wantWarn: "not dropped"},
		// The data directory belongs to whoever runs the tests, and that
		// is not nobody.
		{name: "data_dir owned by another", user: "nobody", ids: root, wantErr: []string{"server.run_as_user", "does not own data_dir", "chown -R nobody"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := config.Default()
			cfg.DataDir = t.TempDir()
			cfg.Server.RunAsUser, cfg.Server.RunAsGroup = tt.user, tt.group
			p, err := planPrivDropAs(cfg, tt.ids)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error, want %q", tt.wantErr)
				}
				for _, w := range tt.wantErr {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(p.warn, tt.wantWarn) || (tt.wantWarn == "" && p.warn != "") {
				t.Errorf("warning %q, want %q", p.warn, tt.wantWarn)
			}
			if got := p.user != ""; got != tt.wantSwitch {
				t.Errorf("switch planned: %v, want %v", got, tt.wantSwitch)
			}
		})
	}
}

// As root, a data_dir that does not exist yet is made for the account, and
// one it owns passes; the groups are the named one or the user's.
func TestPlanPrivDropCreatesDataDir(t *testing.T) {
	requireRoot(t)
	uid, gid := nobody(t)
	cfg := config.Default()
	cfg.DataDir = filepath.Join(t.TempDir(), "data")
	cfg.Server.RunAsUser = "nobody"
	p, err := planPrivDrop(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if p.user != "nobody" || p.uid != uid || p.gid != gid || !slices.Contains(p.groups, gid) || slices.Contains(p.groups, 0) {
		t.Errorf("plan %+v, want nobody %d:%d", p, uid, gid)
	}
	if owner, _ := ownerOf(t, cfg.DataDir); owner != uid {
		t.Errorf("data_dir made for uid %d, want %d", owner, uid)
	}
	// Now it exists and is nobody's.
	cfg.Server.RunAsGroup = "root"
	if p, err = planPrivDrop(cfg); err != nil {
		t.Fatal(err)
	}
	if p.gid != 0 || !slices.Equal(p.groups, []int{0}) {
		t.Errorf("with run_as_group = root: gid %d, groups %v", p.gid, p.groups)
	}
	os.Chmod(cfg.DataDir, 0o500)
	if _, err := planPrivDrop(cfg); err == nil || !strings.Contains(err.Error(), "cannot write to data_dir") {
		t.Errorf("read-only data_dir: %v", err)
	}
}

func ownerOf(t *testing.T, path string) (uid, gid int) {
	t.Helper()
	fi, err := os.Lstat(path)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	return int(st.Uid), int(st.Gid)
}

// What serve made as root near the top of data_dir is given to the
// account; the users' deeper files and other owners' files are not touched.
func TestChownCreated(t *testing.T) {
	requireRoot(t)
	uid, gid := nobody(t)
	cfg := config.Default()
	cfg.DataDir = t.TempDir()
	mk := func(rel string, dir bool) string {
		p := filepath.Join(cfg.DataDir, rel)
		if dir {
			if err := os.MkdirAll(p, 0o700); err != nil {
				t.Fatal(err)
			}
		} else if err := os.WriteFile(p, nil, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	db := mk("bulwark.db", false)
	mk("tls", true)
	key := mk("tls/key.pem", false)
	home := mk("homes/ftpuser", true)
	deep := mk("homes/ftpuser/upload.bin", false)
	other := mk("other.txt", false)
	if err := os.Chown(other, 4242, 4242); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(cfg.DataDir, "link")); err != nil {
		t.Fatal(err)
	}

	n, err := chownCreated(cfg, 0, uid, gid)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{db, key, filepath.Dir(key), home, filepath.Dir(home)} {
		if u, g := ownerOf(t, p); u != uid || g != gid {
			t.Errorf("%s: owner %d:%d, want %d:%d", p, u, g, uid, gid)
		}
	}
	if u, _ := ownerOf(t, deep); u != 0 {
		t.Errorf("a file inside a home was changed to uid %d", u)
	}
	if u, _ := ownerOf(t, other); u != 4242 {
		t.Errorf("another account's file was changed to uid %d", u)
	}
	if u, _ := ownerOf(t, "/etc/passwd"); u != 0 {
		t.Fatalf("a symbolic link was followed: /etc/passwd now belongs to uid %d", u)
	}
	if n != 6 { // bulwark.db, tls, key.pem, homes, ftpuser, link
		t.Errorf("changed %d entries, want 6", n)
	}
}

// TestServeHelperProcess is serve itself, run by TestServeDropsPrivileges
// in a process of its own: a switch of account cannot be undone, so it
// must not happen in the process running the tests.
func TestServeHelperProcess(t *testing.T) {
	if os.Getenv("BULWARK_SERVE_HELPER") != "1" {
		t.Skip("runs only as a child of TestServeDropsPrivileges")
	}
	args := os.Args[slices.Index(os.Args, "--")+1:]
	a := newApp(strings.NewReader(""), os.Stdout, os.Stderr)
	a.started = func(addrs []net.Addr) { fmt.Printf("listening %s\n", addrs[0]) }
	// Serve subscribes to signals after it has started; a SIGTERM before
	// that would end the process without a drain.
	a.signals = func(c chan<- os.Signal) func() {
		stop := notifySignals(c)
		fmt.Println("signals subscribed")
		return stop
	}
	os.Exit(a.run(context.Background(), args))
}

// Started as root with run_as_user = "nobody", serve ends up with nobody's
// ids in every field, owns what it created, and still answers.
func TestServeDropsPrivileges(t *testing.T) {
	requireRoot(t)
	uid, gid := nobody(t)
	if testing.Short() {
		t.Skip("starts a process of its own")
	}

	// nobody must be able to reach data_dir: t.TempDir's parent is 0700.
	base, err := os.MkdirTemp("", "bulwark-privdrop-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(base) })
	if err := os.Chmod(base, 0o755); err != nil {
		t.Fatal(err)
	}
	dataDir := filepath.Join(base, "data")
	cfgFile := filepath.Join(base, "bulwark.toml")
	cfgText := fmt.Sprintf(`data_dir = %q
[server]
listen = "127.0.0.1:0"
implicit_listen = ""
run_as_user = "nobody"
[users]
create_first_user = false
[admin]
listen = ""
`, dataDir)
	if err := os.WriteFile(cfgFile, []byte(cfgText), 0o644); err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestServeHelperProcess$", "--", "--config", cfgFile, "serve")
	cmd.Env = append(os.Environ(), "BULWARK_SERVE_HELPER=1")
	cmd.Dir = base
	var stderr syncBuffer
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()

	// The address it listens on, then word that it handles signals.
	lines := make(chan string, 16)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var ftpAddr string
	for subscribed := false; ftpAddr == "" || !subscribed; {
		select {
		case l, ok := <-lines:
			if !ok {
				cmd.Wait()
				t.Fatalf("serve ended before it listened\n%s", stderr.String())
			}
			if a, found := strings.CutPrefix(l, "listening "); found {
				ftpAddr = a
			}
			subscribed = subscribed || l == "signals subscribed"
		case <-ctx.Done():
			t.Fatalf("serve did not start\n%s", stderr.String())
		}
	}

	status, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{
		"Uid:": strings.Repeat(strconv.Itoa(uid)+" ", 4),
		"Gid:": strings.Repeat(strconv.Itoa(gid)+" ", 4),
	}
	for line := range strings.Lines(string(status)) {
		f := strings.Fields(line)
		if len(f) == 0 {
			continue
		}
		if w, ok := want[f[0]]; ok {
			if got := strings.Join(f[1:], " ") + " "; got != w {
				t.Errorf("%s %s, want %s (real, effective, saved, file system)", f[0], got, w)
			}
			delete(want, f[0])
		}
		if f[0] == "Groups:" && slices.Contains(f[1:], "0") {
			t.Errorf("still in group 0: %s", line)
		}
		if f[0] == "CapEff:" && strings.Trim(f[1], "0") != "" {
			t.Errorf("capabilities left: %s", line)
		}
	}
	if len(want) != 0 {
		t.Errorf("/proc status lacks %v", want)
	}
	if !strings.Contains(stderr.String(), "dropped privileges") {
		t.Errorf("no \"dropped privileges\" in the log:\n%s", stderr.String())
	}
	for _, p := range []string{dataDir, filepath.Join(dataDir, "bulwark.db"), filepath.Join(dataDir, "tls", "key.pem")} {
		if u, _ := ownerOf(t, p); u != uid {
			t.Errorf("%s belongs to uid %d, want %d", p, u, uid)
		}
	}

	c, err := net.DialTimeout("tcp", ftpAddr, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	c.SetDeadline(time.Now().Add(10 * time.Second))
	banner, err := bufio.NewReader(c).ReadString('\n')
	c.Close()
	if err != nil || !strings.HasPrefix(banner, "220 ") {
		t.Errorf("banner %q, %v", banner, err)
	}

	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Errorf("serve after SIGTERM: %v\n%s", err, stderr.String())
	}
}

// A switch that cannot work stops serve before it opens or binds anything.
func TestServeRefusesImpossibleSwitch(t *testing.T) {
	e := newEnv(t)
	cfgFile := filepath.Join(t.TempDir(), "bulwark.toml")
	if err := os.WriteFile(cfgFile, []byte("[server]\nrun_as_user = \"bulwark-no-such-user\"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	r := e.run("", "--config", cfgFile, "serve", "--listen", "127.0.0.1:0", "--implicit-listen", "")
	if r.code != exitError || !strings.Contains(r.stderr, `server.run_as_user: "bulwark-no-such-user": no such user`) {
		t.Errorf("exit %d, stderr %q", r.code, r.stderr)
	}
	if _, err := os.Stat(filepath.Join(e.dataDir, "bulwark.db")); err == nil {
		t.Error("the database was created before the check")
	}
}
