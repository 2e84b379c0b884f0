//go:build unix

package main

import (
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"

	"github.com/bulwark-ftp/bulwark/internal/config"
)

// privDrop is the switch to server.run_as_user that serve makes once its
// listeners are bound and its database, certificate and log files are
// open: the only work that may need root.
type privDrop struct {
	// user is run_as_user as configured; "" means no switch.
	user     string
	uid, gid int
	groups   []int
	// warn is logged once the logger exists.
	warn string
}

// procIDs are the identities serve runs with.
type procIDs struct{ euid, uid, gid int }

func currentIDs() procIDs {
	return procIDs{euid: os.Geteuid(), uid: os.Getuid(), gid: os.Getgid()}
}

// planPrivDrop checks server.run_as_user and server.run_as_group before
// serve opens anything, so that a switch that cannot work stops start-up
// at once. When a switch is due and data_dir does not exist yet, it is
// created for that account.
func planPrivDrop(cfg *config.Config) (*privDrop, error) {
	return planPrivDropAs(cfg, currentIDs())
}

func planPrivDropAs(cfg *config.Config, ids procIDs) (*privDrop, error) {
	s := cfg.Server
	if s.RunAsUser == "" {
		if s.RunAsGroup != "" {
			return nil, fmt.Errorf("server.run_as_group: %q: needs server.run_as_user", s.RunAsGroup)
		}
		p := &privDrop{}
		if ids.euid == 0 {
			p.warn = "running as root: set server.run_as_user to switch to an unprivileged account once the listeners are bound"
		}
		return p, nil
	}
	u, err := lookupUser(s.RunAsUser)
	if err != nil {
		return nil, fmt.Errorf("server.run_as_user: %q: %w", s.RunAsUser, err)
	}
	p := &privDrop{user: s.RunAsUser}
	if p.uid, err = strconv.Atoi(u.Uid); err != nil {
		return nil, fmt.Errorf("server.run_as_user: %q: user id %q is not a number", s.RunAsUser, u.Uid)
	}
	if s.RunAsGroup != "" {
		g, err := lookupGroup(s.RunAsGroup)
		if err != nil {
			return nil, fmt.Errorf("server.run_as_group: %q: %w", s.RunAsGroup, err)
		}
		if p.gid, err = strconv.Atoi(g.Gid); err != nil {
			return nil, fmt.Errorf("server.run_as_group: %q: group id %q is not a number", s.RunAsGroup, g.Gid)
		}
		// Only the named group: naming one is asking for no other.
		p.groups = []int{p.gid}
	} else {
		if p.gid, err = strconv.Atoi(u.Gid); err != nil {
			return nil, fmt.Errorf("server.run_as_user: %q: group id %q is not a number", s.RunAsUser, u.Gid)
		}
		p.groups = supplementaryGroups(u, p.gid)
	}

	if ids.euid != 0 {
		if ids.uid == p.uid && ids.euid == p.uid && (s.RunAsGroup == "" || ids.gid == p.gid) {
			p.warn = fmt.Sprintf("server.run_as_user: already running as %q; no switch needed", s.RunAsUser)
			p.user = ""
			return p, nil
		}
		return nil, fmt.Errorf("server.run_as_user: %q: switching accounts needs root, but serve runs as uid %d; start it as root or set run_as_user = \"\"", s.RunAsUser, ids.euid)
	}
	if p.uid == 0 {
		p.warn = "server.run_as_user is root: privileges are not dropped"
		p.user = ""
		return p, nil
	}
	if err := p.checkDataDir(cfg.DataDir); err != nil {
		return nil, err
	}
	return p, nil
}

// checkDataDir makes sure the account will own data_dir: it writes the
// database, the certificate and the homes there. A missing data_dir is
// created for it; an existing one owned by another account is refused
// rather than taken over, since it may be shared with something else.
func (p *privDrop) checkDataDir(dir string) error {
	fi, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return fmt.Errorf("data_dir: %w", err)
		}
		if err := os.Lchown(dir, p.uid, p.gid); err != nil {
			return fmt.Errorf("data_dir: giving it to server.run_as_user %q: %w", p.user, err)
		}
		return nil
	}
	if err != nil {
		return fmt.Errorf("data_dir: %w", err)
	}
	if !fi.IsDir() {
		return fmt.Errorf("data_dir: %s is not a directory", dir)
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return nil
	}
	if int(st.Uid) != p.uid {
		return fmt.Errorf("server.run_as_user: %q (uid %d) does not own data_dir %s (owner uid %d); give it to that account, for example chown -R %s %s",
			p.user, p.uid, dir, st.Uid, p.user, dir)
	}
	if fi.Mode().Perm()&0o700 != 0o700 {
		return fmt.Errorf("server.run_as_user: %q cannot write to data_dir %s (mode %v); its owner needs rwx", p.user, dir, fi.Mode().Perm())
	}
	return nil
}

// apply logs any warning and makes the switch, once the listeners are
// bound and the files open. Files that serve has just created in data_dir
// as root (the database, a self-signed certificate, the first user's home)
// are given to the account first, or it could not use them after the
// switch.
func (p *privDrop) apply(cfg *config.Config, logger *slog.Logger) error {
	if p.warn != "" {
		logger.Warn(p.warn)
	}
	if p.user == "" {
		return nil
	}
	n, err := chownCreated(cfg, os.Geteuid(), p.uid, p.gid)
	if err != nil {
		return fmt.Errorf("server.run_as_user: giving data_dir files to %q: %w", p.user, err)
	}
	if n > 0 {
		logger.Info("gave files created as root to server.run_as_user", "user", p.user, "files", n)
	}
	// Supplementary groups first and the user id last: each step needs
	// the privilege that the next one gives up. On Linux Go applies these
	// to every thread of the process.
	if err := syscall.Setgroups(p.groups); err != nil {
		return fmt.Errorf("server.run_as_user: setgroups: %w", err)
	}
	if err := syscall.Setgid(p.gid); err != nil {
		return fmt.Errorf("server.run_as_user: setgid %d: %w", p.gid, err)
	}
	if err := syscall.Setuid(p.uid); err != nil {
		return fmt.Errorf("server.run_as_user: setuid %d: %w", p.uid, err)
	}
	if syscall.Setuid(0) == nil {
		return errors.New("server.run_as_user: root could be regained after the switch; refusing to serve")
	}
	// Parent directories the account cannot enter show up only now.
	probe, err := os.CreateTemp(cfg.DataDir, ".bulwark-write-check-*")
	if err != nil {
		return fmt.Errorf("server.run_as_user: %q cannot write to data_dir (check the permissions of the directories above it too): %w", p.user, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	logger.Info("dropped privileges", "user", p.user, "uid", p.uid, "gid", p.gid, "groups", p.groups)
	return nil
}

// chownCreated gives to uid:gid what owner (root) owns near the top of
// data_dir (two levels: the database and its journal, tls/ and its files,
// homes/ and each home) and the direct children of users.home_root. Those
// are what serve creates at start-up; deeper files are the users' own and
// are not walked, which would take long on a large tree. It returns the
// number of entries changed.
func chownCreated(cfg *config.Config, owner, uid, gid int) (int, error) {
	n := 0
	var walk func(dir string, depth int) error
	walk = func(dir string, depth int) error {
		entries, err := os.ReadDir(dir)
		if errors.Is(err, fs.ErrNotExist) {
			return nil
		}
		if err != nil {
			return err
		}
		for _, e := range entries {
			path := filepath.Join(dir, e.Name())
			changed, err := chownIfOwned(path, owner, uid, gid)
			if err != nil {
				return err
			}
			if changed {
				n++
			}
			if e.IsDir() && depth > 1 {
				if err := walk(path, depth-1); err != nil {
					return err
				}
			}
		}
		return nil
	}
	if err := walk(cfg.DataDir, 2); err != nil {
		return n, err
	}
	homeRoot := cfg.Resolve(cfg.Users.HomeRoot)
	if inside(cfg.DataDir, homeRoot) {
		changed, err := chownIfOwned(homeRoot, owner, uid, gid)
		if err != nil && !errors.Is(err, fs.ErrNotExist) {
			return n, err
		}
		if changed {
			n++
		}
	}
	err := walk(homeRoot, 1)
	return n, err
}

func chownIfOwned(path string, owner, uid, gid int) (bool, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		return false, err
	}
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok || int(st.Uid) != owner {
		return false, nil
	}
	return true, os.Lchown(path, uid, gid)
}

// inside reports whether path is dir or below it.
func inside(dir, path string) bool {
	rel, err := filepath.Rel(dir, path)
	return err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator))
}

// lookupUser finds a user by name, or by number when the name is one.
func lookupUser(name string) (*user.User, error) {
	u, err := user.Lookup(name)
	var unknown user.UnknownUserError
	if errors.As(err, &unknown) && isNumber(name) {
		u, err = user.LookupId(name)
	}
	if err != nil {
		var unknownID user.UnknownUserIdError
		if errors.As(err, &unknown) || errors.As(err, &unknownID) {
			return nil, errors.New("no such user")
		}
		return nil, err
	}
	return u, nil
}

// lookupGroup finds a group by name, or by number when the name is one.
func lookupGroup(name string) (*user.Group, error) {
	g, err := user.LookupGroup(name)
	var unknown user.UnknownGroupError
	if errors.As(err, &unknown) && isNumber(name) {
		g, err = user.LookupGroupId(name)
	}
	if err != nil {
		var unknownID user.UnknownGroupIdError
		if errors.As(err, &unknown) || errors.As(err, &unknownID) {
			return nil, errors.New("no such group")
		}
		return nil, err
	}
	return g, nil
}

// supplementaryGroups lists the groups u belongs to, its primary group
// gid among them. If they cannot be listed, only gid: fewer rights, never
// more.
func supplementaryGroups(u *user.User, gid int) []int {
	groups := []int{gid}
	ids, err := u.GroupIds()
	if err != nil {
		return groups
	}
	for _, s := range ids {
		id, err := strconv.Atoi(s)
		if err == nil && id != gid {
			groups = append(groups, id)
		}
	}
	return groups
}

func isNumber(s string) bool {
	_, err := strconv.ParseUint(s, 10, 32)
	return err == nil
}
