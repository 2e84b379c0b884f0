// Package xferlog writes the transfer log in the xferlog(5) format of
// wu-ftpd, vsftpd and ProFTPD, one line per file transfer, so that the
// analysers written for those servers read Bulwark's log as theirs.
package xferlog

import (
	"errors"
	"log/slog"
	"os"
	"strconv"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// ErrClosed is returned by Reopen after Close.
var ErrClosed = errors.New("xferlog: closed")

// fileMode keeps the log from other users: it names every file and user.
const fileMode = 0o640

// Writer appends transfer lines to a file. It is safe for concurrent use.
type Writer struct {
	path   string
	now    func() time.Time
	logger *slog.Logger

	mu      sync.Mutex
	f       *os.File // nil after Close
	failing bool     // the last write failed; logged once per run of failures
	buf     []byte

	errs atomic.Int64
}

// Option adjusts a Writer being opened.
type Option func(*Writer)

// WithClock sets the clock of the lines' current-time field (default
// time.Now).
func WithClock(now func() time.Time) Option { return func(w *Writer) { w.now = now } }

// WithLogger sets where write errors are reported (default: discarded).
func WithLogger(l *slog.Logger) Option { return func(w *Writer) { w.logger = l } }

// Open opens path for appending, creating it (mode 0640, less the umask)
// if needed.
func Open(path string, opts ...Option) (*Writer, error) {
	w := &Writer{path: path, now: time.Now, logger: slog.New(slog.DiscardHandler)}
	for _, o := range opts {
		o(w)
	}
	f, err := openFile(path)
	if err != nil {
		return nil, err
	}
	w.f = f
	return w, nil
}

func openFile(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, fileMode)
}

// Log appends the line of one transfer. Listings (LIST, NLST, MLSD) are
// not file transfers and are not logged, as in the other servers. A write
// error is counted (see Errors) and logged, never returned: a full disk
// must not stop transfers.
func (w *Writer) Log(t ftp.TransferInfo) {
	if !isFileTransfer(t.Verb) {
		return
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return
	}
	w.buf = AppendLine(w.buf[:0], t, w.now())
	// One write per line: with O_APPEND the line lands whole at the end
	// even if another process appends to the same file.
	_, err := w.f.Write(w.buf)
	switch {
	case err != nil:
		w.errs.Add(1)
		if !w.failing {
			w.failing = true
			w.logger.Error("transfer log write failed", "path", w.path, "err", err)
		}
	case w.failing:
		w.failing = false
		w.logger.Info("transfer log writable again", "path", w.path, "lost_lines", w.errs.Load())
	}
}

// Errors returns how many lines could not be written.
func (w *Writer) Errors() int64 { return w.errs.Load() }

// Reopen closes the file and opens the path again, for log rotation (the
// rotator renames the file, then signals the server). If the path cannot
// be opened, the old file stays in use and the error is returned.
func (w *Writer) Reopen() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return ErrClosed
	}
	f, err := openFile(w.path)
	if err != nil {
		return err
	}
	old := w.f
	w.f = f
	return old.Close()
}

// Close closes the file; later lines are dropped.
func (w *Writer) Close() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.f == nil {
		return nil
	}
	err := w.f.Close()
	w.f = nil
	return err
}

func isFileTransfer(verb string) bool {
	switch verb {
	case "RETR", "STOR", "APPE", "STOU":
		return true
	}
	return false
}

// AppendLine appends the xferlog(5) line of t, logged at now, to b:
//
//	current-time transfer-time remote-host file-size filename transfer-type
//	special-action-flag direction access-mode username service-name
//	authentication-method authenticated-user-id completion-status
func AppendLine(b []byte, t ftp.TransferInfo, now time.Time) []byte {
	// ctime form in local time, the day of the month padded with a space.
	b = now.Local().AppendFormat(b, time.ANSIC)
	b = append(b, ' ')
	// Whole seconds, at least 1, as vsftpd writes them: ProFTPD writes 0
	// for a transfer under a second, and analysers that divide the size
	// by this field to get a rate then fail or print infinity.
	secs := int64(t.Duration / time.Second)
	b = strconv.AppendInt(b, max(secs, 1), 10)
	b = append(b, ' ')
	if a := t.Remote.Addr(); a.IsValid() {
		b = a.Unmap().WithZone("").AppendTo(b)
	} else {
		b = append(b, "unknown"...)
	}
	b = append(b, ' ')
	b = strconv.AppendInt(b, max(t.Bytes, 0), 10)
	b = append(b, ' ')
	b = appendField(b, t.Path, "/")
	if t.ASCII {
		b = append(b, " a"...)
	} else {
		b = append(b, " b"...)
	}
	// Special action flag: no tar, gzip or compress conversion.
	b = append(b, " _"...)
	if t.Upload {
		b = append(b, " i"...)
	} else {
		b = append(b, " o"...)
	}
	// Access mode r: a real (not anonymous, not guest) user.
	b = append(b, " r "...)
	b = appendField(b, t.User, "*")
	// Service "ftp", authentication method 0 (none, no RFC 931 ident),
	// authenticated user id unknown.
	b = append(b, " ftp 0 * "...)
	if t.Result == "ok" {
		b = append(b, 'c')
	} else {
		b = append(b, 'i')
	}
	return append(b, '\n')
}

// appendField appends s as one field: whitespace becomes '_' (as vsftpd
// and ProFTPD write names with spaces) and other control characters are
// left out, so that a name can neither split the line into more fields nor
// start a new line or an escape sequence. Bytes that are not UTF-8 are kept as they are. An empty
// field is written as empty.
func appendField(b []byte, s, empty string) []byte {
	start := len(b)
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			b = append(b, s[i])
		case unicode.IsSpace(r):
			// Space, tab, CR, LF, NEL, no-break space ...
			b = append(b, '_')
		case unicode.IsControl(r):
			// NUL, DEL, ESC and the other controls.
		default:
			b = append(b, s[i:i+size]...)
		}
		i += size
	}
	if len(b) == start {
		b = append(b, empty...)
	}
	return b
}
