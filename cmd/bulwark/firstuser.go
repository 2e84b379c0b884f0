package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"os"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

const firstUserName = "ftpuser"

// createFirstUser makes the first account when the store is empty and
// users.create_first_user is on, so that a fresh server is usable at once.
// It returns the user and its password, or nil when nothing was created.
// The password is for the terminal only, never for the log. It satisfies
// the server's password policy, and counts as set at now.
func createFirstUser(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger, now time.Time) (*user.User, string, error) {
	if !cfg.Users.CreateFirstUser {
		return nil, "", nil
	}
	n, err := st.CountUsers(ctx)
	if err != nil || n > 0 {
		return nil, "", err
	}
	pol, err := cfg.PasswordPolicy.Build(cfg)
	if err != nil {
		return nil, "", err
	}
	pw, err := pol.GenerateFor(firstUserName)
	if err != nil {
		return nil, "", err
	}
	hash, err := hasher(cfg).Hash(pw)
	if err != nil {
		return nil, "", err
	}
	home, err := makeHome(cfg.DefaultHome(firstUserName))
	if err != nil {
		return nil, "", err
	}
	u := &user.User{Name: firstUserName, PasswordHash: hash, Home: home, Comment: "created at first start",
		Perms: defaultPerms(), PasswordChangedAt: now, MustChangePassword: cfg.PasswordPolicy.ChangeAtFirstLogin}
	if err := st.CreateUser(ctx, u); err != nil {
		if errors.Is(err, store.ErrExists) {
			// Another process created it in between: not ours to announce.
			return nil, "", nil
		}
		return nil, "", err
	}
	logger.Info("created the first user", "user", u.Name, "home", u.Home)
	// Recorded as a change from the command line, by whoever runs serve. A
	// failed record does not undo the account, which is made already.
	if err := audit.Record(ctx, st, now, audit.LocalActor(), "user.create", u.Name, nil, audit.User(u)); err != nil {
		logger.Warn("the first user was created but not recorded in the audit trail", "user", u.Name, "err", err)
	}
	return u, pw, nil
}

// firstUserFile receives the first user's password when standard output is
// not a terminal.
const firstUserFile = "first-user.txt"

// announceFirstUser shows the new account once: in a box on the terminal,
// or, when standard output is not one (a service manager would keep it in
// its journal), in a file only the server's own account can read.
func (a *app) announceFirstUser(cfg *config.Config, logger *slog.Logger, u *user.User, pw string, addrs []net.Addr) error {
	if a.stdoutTTY {
		printFirstUser(a.stdout, cfg, u, pw, addrs)
		return nil
	}
	path := cfg.Resolve(firstUserFile)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if err != nil {
		return fmt.Errorf("writing the first user's password: %w", err)
	}
	printFirstUser(f, cfg, u, pw, addrs)
	if err := f.Close(); err != nil {
		return fmt.Errorf("writing the first user's password: %w", err)
	}
	logger.Warn("standard output is not a terminal: the first user's password is in a file readable only by this account; delete it once read",
		"user", u.Name, "file", path)
	return nil
}

// printFirstUser shows the new account in a box, once. addrs are the bound
// listeners (explicit first); when empty the configured ones are used.
func printFirstUser(w io.Writer, cfg *config.Config, u *user.User, pw string, addrs []net.Addr) {
	explicit, implicit := cfg.Server.Listen, cfg.Server.ImplicitListen
	if len(addrs) > 0 {
		explicit = addrs[0].String()
	}
	if len(addrs) > 1 {
		implicit = addrs[1].String()
	}
	curlInsecure, lftpInsecure := "", ""
	if cfg.TLS.CertFile == "" {
		curlInsecure = " -k"
		lftpInsecure = "; set ssl:verify-certificate no"
	}
	lines := []string{
		"Bulwark created the first user. The password is shown only this once.",
		"",
		"  user:      " + u.Name,
		"  password:  " + pw,
		"  home:      " + u.Home,
		"",
		"Connect (the client asks for the password):",
		fmt.Sprintf("  curl --ssl-reqd%s -u %s ftp://%s/", curlInsecure, u.Name, connectHost(explicit)),
		fmt.Sprintf("  lftp -u %s -e 'set ftp:ssl-force true%s' ftp://%s", u.Name, lftpInsecure, connectHost(explicit)),
	}
	if implicit != "" {
		lines = append(lines, fmt.Sprintf("  curl%s -u %s ftps://%s/", curlInsecure, u.Name, connectHost(implicit)))
	}
	if curlInsecure != "" {
		lines = append(lines, "The certificate is self-signed: compare its SHA-256 fingerprint in the log.")
	}
	if u.MustChangePassword {
		lines = append(lines, "At the first login only a password change works: SITE PSWD <old> <new>.")
	}
	lines = append(lines, "Change the password with: bulwark user passwd "+u.Name)

	width := 0
	for _, l := range lines {
		width = max(width, utf8.RuneCountInString(l))
	}
	border := "+" + strings.Repeat("-", width+2) + "+"
	var b strings.Builder
	b.WriteString(border + "\n")
	for _, l := range lines {
		b.WriteString("| " + l + strings.Repeat(" ", width-utf8.RuneCountInString(l)) + " |\n")
	}
	b.WriteString(border + "\n")
	io.WriteString(w, b.String())
}

// connectHost turns a listen address into one a local client can dial: a
// wildcard host becomes localhost.
func connectHost(addr string) string {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return addr
	}
	if ip := net.ParseIP(host); host == "" || (ip != nil && ip.IsUnspecified()) {
		host = "localhost"
	}
	return net.JoinHostPort(host, port)
}
