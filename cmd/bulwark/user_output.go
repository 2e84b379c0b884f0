package main

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

// userJSON is the stable JSON form of a user. It never carries the
// password hash, only which algorithm made it.
type userJSON struct {
	Name              string     `json:"name"`
	Home              string     `json:"home"`
	Disabled          bool       `json:"disabled"`
	RequireTLS        bool       `json:"require_tls"`
	Comment           string     `json:"comment"`
	PasswordSet       bool       `json:"password_set"`
	PasswordAlgorithm string     `json:"password_algorithm"`
	CreatedAt         time.Time  `json:"created_at"`
	UpdatedAt         time.Time  `json:"updated_at"`
	LastLogin         *time.Time `json:"last_login"`
}

func toJSON(u *user.User) userJSON {
	j := userJSON{
		Name:              u.Name,
		Home:              u.Home,
		Disabled:          u.Disabled,
		RequireTLS:        u.RequireTLS,
		Comment:           u.Comment,
		PasswordSet:       u.PasswordHash != "",
		PasswordAlgorithm: hashAlgorithm(u.PasswordHash),
		CreatedAt:         u.CreatedAt.UTC(),
		UpdatedAt:         u.UpdatedAt.UTC(),
	}
	if !u.LastLogin.IsZero() {
		t := u.LastLogin.UTC()
		j.LastLogin = &t
	}
	return j
}

// hashAlgorithm names the scheme of a stored hash from its prefix.
func hashAlgorithm(hash string) string {
	switch {
	case hash == "":
		return "none"
	case strings.HasPrefix(hash, "$argon2id$"):
		return "argon2id"
	case strings.HasPrefix(hash, "$2a$"), strings.HasPrefix(hash, "$2b$"), strings.HasPrefix(hash, "$2y$"):
		return "bcrypt"
	case strings.HasPrefix(hash, "$6$"):
		return "sha512-crypt"
	}
	return "unknown"
}

func writeUsersJSON(w io.Writer, users []*user.User) error {
	out := make([]userJSON, 0, len(users))
	for _, u := range users {
		out = append(out, toJSON(u))
	}
	return writeJSON(w, out)
}

func writeUserJSON(w io.Writer, u *user.User) error { return writeJSON(w, toJSON(u)) }

func writeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func status(u *user.User) string {
	if u.Disabled {
		return "disabled"
	}
	return "enabled"
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "no"
}

func formatTime(t time.Time) string {
	if t.IsZero() {
		return "never"
	}
	return t.Local().Format(time.RFC3339)
}

func writeUsersTable(w io.Writer, users []*user.User) error {
	if len(users) == 0 {
		_, err := fmt.Fprintln(w, "no users")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tSTATUS\tREQUIRE TLS\tLAST LOGIN\tHOME")
	for _, u := range users {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", u.Name, status(u), yesNo(u.RequireTLS), formatTime(u.LastLogin), u.Home)
	}
	return tw.Flush()
}

func writeUserText(w io.Writer, u *user.User) error {
	pw := "not set"
	if u.PasswordHash != "" {
		pw = "set (" + hashAlgorithm(u.PasswordHash) + ")"
	}
	tw := tabwriter.NewWriter(w, 0, 0, 1, ' ', 0)
	fmt.Fprintf(tw, "name:\t%s\n", u.Name)
	fmt.Fprintf(tw, "status:\t%s\n", status(u))
	fmt.Fprintf(tw, "require tls:\t%s\n", yesNo(u.RequireTLS))
	fmt.Fprintf(tw, "home:\t%s\n", u.Home)
	fmt.Fprintf(tw, "comment:\t%s\n", u.Comment)
	fmt.Fprintf(tw, "password:\t%s\n", pw)
	fmt.Fprintf(tw, "created:\t%s\n", formatTime(u.CreatedAt))
	fmt.Fprintf(tw, "updated:\t%s\n", formatTime(u.UpdatedAt))
	fmt.Fprintf(tw, "last login:\t%s\n", formatTime(u.LastLogin))
	return tw.Flush()
}
