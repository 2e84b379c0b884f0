package ftptest

import "testing"

func TestRedact(t *testing.T) {
	for _, tc := range []struct{ cmd, want string }{
		{"PASS secret", "PASS ****"},
		{"pass secret", "PASS ****"},
		{"SITE PSWD old new", "SITE PSWD ****"},
		{`site  pswd "old pass" "new pass"`, "SITE PSWD ****"},
		{"SITE CHMOD 644 f", "SITE CHMOD 644 f"},
		{"USER alice", "USER alice"},
	} {
		if got := redact(tc.cmd); got != tc.want {
			t.Errorf("redact(%q) = %q, want %q", tc.cmd, got, tc.want)
		}
	}
}
