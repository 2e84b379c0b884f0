package ftp

import (
	"context"
	"errors"
	"strings"
)

// sitePSWD changes the user's password: "SITE PSWD old new", the form
// established by other FTP servers (there is no RFC for it). The
// passwords never reach a log line. A successful change lifts a
// restricted session.
func (s *session) sitePSWD(arg string) {
	change := s.login.ChangePassword
	if change == nil {
		s.reply(codeNotImplemented, "SITE PSWD is not available for this account")
		return
	}
	if s.tlsConn == nil {
		// The passwords would cross the network readable by anyone on
		// the path. RFC 2228 §4: 534, request denied for policy reasons.
		s.log.Warn("password change refused", "reason", "control connection in clear text")
		s.reply(codePolicyDenied, "SITE PSWD needs a TLS-protected connection (AUTH TLS)")
		return
	}
	oldPassword, newPassword, ok := parsePSWDArgs(arg)
	if !ok {
		s.reply(codeArgError, s.usageOf("PSWD"))
		return
	}
	ctx, cancel := context.WithTimeout(s.ctx, s.cfg.loginTimeout)
	text, err := change(ctx, oldPassword, newPassword)
	cancel()
	if err != nil {
		s.passwordChangeFailed(err)
		return
	}
	lifted := s.restricted
	if lifted {
		s.restricted = false
		s.restrictedReason = ""
		s.fs = s.login.FS
	}
	s.log.Info("password changed", "restriction_lifted", lifted)
	s.reply(codeOK, oneLine(text, "Password changed"))
}

// passwordChangeFailed answers a refused SITE PSWD. A wrong old password
// counts as a failed login, so SITE PSWD cannot be used to guess
// passwords faster than PASS.
func (s *session) passwordChangeFailed(err error) {
	var pub PublicError
	public := errors.As(err, &pub)
	switch {
	case errors.Is(err, ErrLoginFailed):
		s.loginFailures++
		reason := "old password incorrect"
		var lf *LoginFailure
		if errors.As(err, &lf) {
			reason = lf.Reason
		} else if public {
			reason = pub.Reply()
		}
		s.log.Warn("password change failed", "reason", reason, "failures", s.loginFailures)
		if public {
			s.reply(errorReply(err, codeNotLoggedIn))
		} else {
			s.reply(codeNotLoggedIn, "Old password incorrect")
		}
		s.closeIfTooManyFailures()
	case public:
		// The policy's reasons (too short, reused, ...) are for the user.
		s.log.Warn("password change failed", "reason", pub.Reply())
		s.reply(errorReply(err, codeActionNotTaken))
	default:
		s.log.Error("password change failed", "err", err)
		s.reply(codeActionNotTaken, "Password not changed")
	}
}

// parsePSWDArgs splits the argument of SITE PSWD into exactly two
// passwords separated by spaces. A password may be enclosed in double
// quotes to hold spaces; inside quotes \" stands for a quote and \\ for a
// backslash, and a backslash before anything else is kept as it is.
// Outside quotes only the space is special.
func parsePSWDArgs(arg string) (oldPassword, newPassword string, ok bool) {
	var args []string
	i := 0
	for {
		for i < len(arg) && arg[i] == ' ' {
			i++
		}
		if i == len(arg) {
			break
		}
		if len(args) == 2 {
			return "", "", false
		}
		var word string
		word, i, ok = nextPSWDWord(arg, i)
		if !ok {
			return "", "", false
		}
		args = append(args, word)
	}
	if len(args) != 2 {
		return "", "", false
	}
	return args[0], args[1], true
}

// nextPSWDWord reads the word starting at arg[i], which is not a space,
// and returns it with the index just past it.
func nextPSWDWord(arg string, i int) (string, int, bool) {
	if arg[i] != '"' {
		end := strings.IndexByte(arg[i:], ' ')
		if end < 0 {
			return arg[i:], len(arg), true
		}
		return arg[i : i+end], i + end, true
	}
	var b strings.Builder
	for i++; i < len(arg); i++ {
		switch c := arg[i]; {
		case c == '\\' && i+1 < len(arg) && (arg[i+1] == '"' || arg[i+1] == '\\'):
			i++
			b.WriteByte(arg[i])
		case c == '"':
			// A closing quote must end the word.
			if i+1 < len(arg) && arg[i+1] != ' ' {
				return "", 0, false
			}
			return b.String(), i + 1, true
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, false // no closing quote
}
