package ftp

import (
	"errors"
	"io/fs"
	"strconv"
	"strings"
	"syscall"
)

// Reply codes. Each cites where it is defined; the meaning shown is the
// RFC's. RFC 959 §4.2.2 lists the base codes in numeric order.
const (
	codeFileStatusOK       = 150 // RFC 959 §4.2.2: about to open data connection
	codeOK                 = 200 // RFC 959 §4.2.2: command okay
	codeSuperfluous        = 202 // RFC 959 §4.2.2: not implemented, superfluous at this site
	codeSystemStatus       = 211 // RFC 959 §4.2.2: system status; RFC 2389 §3.2: FEAT reply
	codeDirStatus          = 212 // RFC 959 §4.2.2: directory status
	codeFileStatus         = 213 // RFC 959 §4.2.2: file status; RFC 3659 §3-4: MDTM, SIZE
	codeHelp               = 214 // RFC 959 §4.2.2: help message
	codeSystemType         = 215 // RFC 959 §4.2.2: NAME system type
	codeReady              = 220 // RFC 959 §4.2.2: service ready; RFC 7151 §3: HOST accepted
	codeClosing            = 221 // RFC 959 §4.2.2: service closing control connection
	codeNoTransfer         = 225 // RFC 959 §4.2.2: data connection open, no transfer in progress
	codeTransferComplete   = 226 // RFC 959 §4.2.2: closing data connection, action successful
	codePassive            = 227 // RFC 959 §4.2.2: entering passive mode
	codeExtendedPassive    = 229 // RFC 2428 §3: entering extended passive mode
	codeLoggedIn           = 230 // RFC 959 §4.2.2: user logged in, proceed
	codeAuthOK             = 234 // RFC 2228 §4: security data exchange complete
	codeFileActionOK       = 250 // RFC 959 §4.2.2: requested file action okay, completed
	codePathCreated        = 257 // RFC 959 §4.2.2: "PATHNAME" created
	codeNeedPassword       = 331 // RFC 959 §4.2.2: user name okay, need password
	codePending            = 350 // RFC 959 §4.2.2: file action pending further information
	codeServiceUnavailable = 421 // RFC 959 §4.2.2: service not available, closing control connection
	codeCantOpenData       = 425 // RFC 959 §4.2.2: can't open data connection
	codeTransferAborted    = 426 // RFC 959 §4.2.2: connection closed, transfer aborted
	codeFileUnavailable    = 450 // RFC 959 §4.2.2: file action not taken (e.g. busy)
	codeLocalError         = 451 // RFC 959 §4.2.2: action aborted, local error in processing
	codeSyntaxError        = 500 // RFC 959 §4.2.2: syntax error, command unrecognized or line too long
	codeArgError           = 501 // RFC 959 §4.2.2: syntax error in parameters or arguments
	codeNotImplemented     = 502 // RFC 959 §4.2.2: command not implemented
	codeBadSequence        = 503 // RFC 959 §4.2.2: bad sequence of commands
	codeParamNotImpl       = 504 // RFC 959 §4.2.2: command not implemented for that parameter
	codeProtRefused        = 521 // RFC 4217, data connection protection: cannot be opened with this PROT setting
	codeTLSFailed          = 522 // RFC 4217, data connection protection: TLS negotiation failed or was unacceptable
	codeNetProtoNotSupp    = 522 // RFC 2428 §2-3: network protocol not supported
	codeNotLoggedIn        = 530 // RFC 959 §4.2.2: not logged in
	codePolicyDenied       = 534 // RFC 2228 §4: request denied for policy reasons
	codeProtNotSupported   = 536 // RFC 2228 §4: requested PROT level not supported by mechanism
	codeActionNotTaken     = 550 // RFC 959 §4.2.2: file unavailable (not found, no access)
	codeStorageExceeded    = 552 // RFC 959 §4.2.2: exceeded storage allocation
	codeNameNotAllowed     = 553 // RFC 959 §4.2.2: file name not allowed
	codeBadRest            = 554 // RFC 3659 §5: requested action not taken, invalid REST parameter
)

// Reply texts used in more than one place.
const (
	textNotFound   = "No such file or directory"
	textDenied     = "Permission denied"
	textExists     = "File exists"
	textNotDir     = "Not a directory"
	textLocalError = "Requested action aborted: local error in processing"
	textLoginFirst = "Please log in with USER and PASS"
	textRestricted = "Password change required: use SITE PSWD old-password new-password"
)

// errorReply is the one place where an error from a FileSystem (or from the
// engine's own file work) becomes a reply. fallback is the code for errors
// that carry no meaning the client may see: 550 for a single file action,
// 451 for work that failed part way. The error's own text never reaches the
// client unless the error is a PublicError; the caller logs it.
func errorReply(err error, fallback int) (int, string) {
	var pub PublicError
	switch {
	case errors.As(err, &pub):
		code := pub.FTPCode()
		if code < 400 || code > 599 {
			code = fallback
		}
		text := sanitizeText(pub.Reply())
		if text == "" {
			text = textLocalError
		}
		return code, text
	case errors.Is(err, fs.ErrNotExist):
		return codeActionNotTaken, textNotFound
	case errors.Is(err, fs.ErrPermission):
		return codeActionNotTaken, textDenied
	case errors.Is(err, fs.ErrExist):
		return codeActionNotTaken, textExists
	case errors.Is(err, syscall.ENOTDIR):
		// A file used as a directory ("file.txt/x"): the client's mistake,
		// not a fault of the server.
		return codeActionNotTaken, textNotDir
	case errors.Is(err, syscall.ELOOP):
		return codeActionNotTaken, "Too many levels of symbolic links"
	case errors.Is(err, syscall.ENAMETOOLONG):
		return codeNameNotAllowed, "File name too long"
	}
	return fallback, textLocalError
}

// isPublic reports whether err's reply text came from the FileSystem on
// purpose, or describes a mistake in the client's path, so that the log
// can tell refusals from faults.
func isPublic(err error) bool {
	var pub PublicError
	return errors.As(err, &pub) || errors.Is(err, fs.ErrNotExist) ||
		errors.Is(err, fs.ErrPermission) || errors.Is(err, fs.ErrExist) ||
		errors.Is(err, syscall.ENOTDIR) || errors.Is(err, syscall.ELOOP) ||
		errors.Is(err, syscall.ENAMETOOLONG)
}

// formatReply renders a reply per RFC 959 §4.2: a single line "123 text",
// or for several lines "123-first", the middle lines, and "123 last". Each
// middle line is indented by one space so that none can be mistaken for
// the last one, even if its text begins with digits.
func formatReply(code int, lines []string) []byte {
	if len(lines) == 0 {
		lines = []string{""}
	}
	c := strconv.Itoa(code)
	var b strings.Builder
	for i, l := range lines {
		l = sanitizeText(l)
		switch {
		case len(lines) == 1:
			b.WriteString(c + " " + l)
		case i == 0:
			b.WriteString(c + "-" + l)
		case i == len(lines)-1:
			b.WriteString(c + " " + l)
		default:
			b.WriteString(" " + l)
		}
		b.WriteString("\r\n")
	}
	return []byte(b.String())
}

// sanitizeText keeps a reply line on one line: CR, LF and NUL could forge
// further replies, so they become spaces.
func sanitizeText(s string) string {
	if !strings.ContainsAny(s, "\r\n\x00") {
		return s
	}
	return strings.Map(func(r rune) rune {
		if r == '\r' || r == '\n' || r == 0 {
			return ' '
		}
		return r
	}, s)
}

// quotePath quotes a virtual path for a 257 reply, doubling every quote
// inside it (RFC 959 Appendix II).
func quotePath(p string) string {
	return `"` + strings.ReplaceAll(SafeName(p), `"`, `""`) + `"`
}
