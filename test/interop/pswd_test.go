package interop

import (
	"context"
	"strings"
	"testing"
)

// mustChange flags the fixture's user so that its next login is restricted
// to a password change.
func (f *fixture) mustChange(t *testing.T) {
	t.Helper()
	u, err := f.store.GetUser(context.Background(), f.User)
	if err != nil {
		t.Fatal(err)
	}
	u.MustChangePassword = true
	if err := f.store.UpdateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

// A user whose password must change logs in with curl or lftp, changes it
// with SITE PSWD over TLS, and carries on with the new one.
func TestSitePswdWithRealClients(t *testing.T) {
	const newPassword = "Fresh-Interop-Pass-77"
	m := bothModes()[0]

	t.Run("curl", func(t *testing.T) {
		f := startServer(t)
		f.mustChange(t)
		c := newCurl(t, f, m)
		c.run(t, "/", "-Q", "SITE PSWD "+f.Password+" "+newPassword)
		f.Password = newPassword
		out := newCurl(t, f, m).run(t, "/")
		if out.Err != nil {
			t.Fatalf("listing with the new password: %v", out.Err)
		}
	})

	t.Run("lftp", func(t *testing.T) {
		f := startServer(t)
		f.mustChange(t)
		l := newLftp(t, f, m)
		out := l.run(t, "quote SITE PSWD "+f.Password+" "+newPassword)
		if !strings.Contains(out.Stdout+out.Stderr, "200") {
			t.Fatalf("SITE PSWD reply not shown: %q %q", out.Stdout, out.Stderr)
		}
		f.Password = newPassword
		newLftp(t, f, m).run(t, "ls")
	})
}
