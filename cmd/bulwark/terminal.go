package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"unicode/utf8"

	"golang.org/x/term"

	"github.com/bulwark-ftp/bulwark/internal/config"
)

// terminal is the interactive side of standard input.
type terminal interface {
	// ReadPassword prompts and reads a line without echo.
	ReadPassword(prompt string) (string, error)
	// ReadLine prompts and reads a line.
	ReadLine(prompt string) (string, error)
}

// tty is a real terminal; prompts go to standard error so that standard
// output stays clean for pipes.
type tty struct {
	fd  int
	in  *bufio.Reader
	out io.Writer
}

// detectTerminal returns a terminal when stdin is one, else nil.
func detectTerminal(stdin io.Reader, in *bufio.Reader, out io.Writer) terminal {
	f, ok := stdin.(*os.File)
	if !ok || !term.IsTerminal(int(f.Fd())) {
		return nil
	}
	return &tty{fd: int(f.Fd()), in: in, out: out}
}

func (t *tty) ReadPassword(prompt string) (string, error) {
	fmt.Fprint(t.out, prompt)
	b, err := term.ReadPassword(t.fd)
	fmt.Fprintln(t.out)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

func (t *tty) ReadLine(prompt string) (string, error) {
	fmt.Fprint(t.out, prompt)
	return readLine(t.in)
}

// readLine reads one line without its line ending; a last line without a
// newline counts.
func readLine(r *bufio.Reader) (string, error) {
	line, err := r.ReadString('\n')
	if err != nil && !(errors.Is(err, io.EOF) && line != "") {
		if errors.Is(err, io.EOF) {
			return "", errors.New("no input")
		}
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

// checkNewPassword refuses what no policy can allow: an empty password or
// one that is not UTF-8. The password policy judges the rest, length
// included.
func checkNewPassword(pw string) error {
	switch {
	case pw == "":
		return errors.New("empty password refused")
	case !utf8.ValidString(pw):
		return errors.New("password is not valid UTF-8")
	}
	return nil
}

// readNewPassword gets a new password: one line of standard input with
// --password-stdin, else typed twice at the terminal. Passwords never come
// from the command line, where other users could see them. check is the
// password policy; at the terminal it runs before the password is asked
// again, so nobody repeats a password that is refused anyway.
func (a *app) readNewPassword(fromStdin bool, check func(string) error) (string, error) {
	accept := func(pw string) error {
		if err := checkNewPassword(pw); err != nil {
			return err
		}
		return check(pw)
	}
	var pw string
	switch {
	case fromStdin:
		line, err := readLine(a.stdin)
		if err != nil {
			return "", fmt.Errorf("reading the password from standard input: %w", err)
		}
		pw = line
	case a.term == nil:
		return "", usagef("standard input is not a terminal: use --password-stdin to pipe the password in, or --generate")
	default:
		first, err := a.term.ReadPassword("New password: ")
		if err != nil {
			return "", err
		}
		if err := accept(first); err != nil {
			return "", err
		}
		second, err := a.term.ReadPassword("Repeat password: ")
		if err != nil {
			return "", err
		}
		if first != second {
			return "", errors.New("passwords do not match")
		}
		return first, nil
	}
	if err := accept(pw); err != nil {
		return "", err
	}
	return pw, nil
}

// checkImportedHash checks that Bulwark can verify hash; the hash itself
// is never echoed.
func checkImportedHash(cfg *config.Config, source, hash string) error {
	if err := hasher(cfg).CheckHash(hash); err != nil {
		return fmt.Errorf("%s: password hash not recognised: expected argon2id ($argon2id$...), bcrypt ($2b$...) or SHA-512-crypt ($6$...)", source)
	}
	return nil
}

// readImportedHash reads one password hash from standard input and checks
// that Bulwark can verify it. The hash itself is never echoed.
func (a *app) readImportedHash(cfg *config.Config) (string, error) {
	line, err := readLine(a.stdin)
	if err != nil {
		return "", fmt.Errorf("reading the password hash from standard input: %w", err)
	}
	line = strings.TrimSpace(line)
	if err := checkImportedHash(cfg, "--password-hash-stdin", line); err != nil {
		return "", err
	}
	return line, nil
}

// confirm asks a yes/no question at the terminal; without one it refuses,
// since nobody is there to answer.
func (a *app) confirm(question, refusal string) error {
	if a.term == nil {
		return fmt.Errorf("%s: standard input is not a terminal; pass --yes to confirm", refusal)
	}
	answer, err := a.term.ReadLine(question + " [y/N] ")
	if err != nil {
		return err
	}
	switch strings.ToLower(strings.TrimSpace(answer)) {
	case "y", "yes":
		return nil
	}
	return fmt.Errorf("%s: not confirmed", refusal)
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
