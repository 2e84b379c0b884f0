package ftp

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"net"
	"path"
	"strconv"
	"strings"
)

// takeRest returns and clears the REST offset: it applies to the next
// transfer only.
func (s *session) takeRest() int64 {
	n := s.rest
	s.rest = 0
	return n
}

// refuse answers a transfer command that fails before its data connection
// is used, and releases the prepared data connection, which belonged to
// this command.
func (s *session) refuse(op, p string, err error) {
	s.closeData()
	s.fail(op, p, err, codeActionNotTaken)
}

// modeName is the representation named in 150 replies.
func (s *session) modeName() string {
	if s.ascii {
		return "ASCII"
	}
	return "BINARY"
}

// handleRETR sends a file (RFC 959 §4.1.3), from the REST offset if one
// was given (RFC 3659 §5).
func (s *session) handleRETR(arg string) {
	p := s.path(arg)
	offset := s.takeRest()
	fi, err := s.fs.Stat(p)
	if err != nil {
		s.refuse("retrieve", p, err)
		return
	}
	if !fi.Mode().IsRegular() {
		s.closeData()
		s.reply(codeActionNotTaken, "Not a regular file")
		return
	}
	if offset > fi.Size() {
		s.closeData()
		s.reply(codeBadRest, "Invalid REST parameter: beyond the end of the file")
		return
	}
	f, err := s.fs.Open(p, offset)
	if err != nil {
		s.refuse("retrieve", p, err)
		return
	}
	var src io.Reader = f
	if s.ascii {
		src = NewASCIIReader(f)
	}
	j := &job{
		verb:  "RETR",
		path:  p,
		ascii: s.ascii,
		data:  s.takeData(),
		protP: s.protP,
		run: func(x *transfer, dc net.Conn) (error, error) {
			_, readErr, writeErr := s.copyData(dc, src, &x.bytes, nil)
			return writeErr, readErr
		},
		finish: func(bool) error {
			f.Close()
			return nil
		},
		success: "Transfer complete",
	}
	s.reply(codeFileStatusOK, "Opening "+s.modeName()+" mode data connection for "+SafeName(p)+
		" ("+strconv.FormatInt(fi.Size()-offset, 10)+" bytes)")
	s.startTransfer(j)
}

// handleSTOR receives a file (RFC 959 §4.1.3); after REST n it keeps the
// first n bytes of the existing file (RFC 3659 §5).
func (s *session) handleSTOR(arg string) {
	p := s.path(arg)
	opts := CreateOptions{Offset: s.takeRest()}
	up, err := s.fs.Create(p, opts)
	if err != nil {
		s.refuse("store", p, err)
		return
	}
	s.reply(codeFileStatusOK, "Opening "+s.modeName()+" mode data connection for "+SafeName(p))
	s.startUpload("STOR", p, up, "Transfer complete")
}

// handleAPPE appends to a file, creating it if needed (RFC 959 §4.1.3).
// After REST n it resumes at n, as STOR does.
func (s *session) handleAPPE(arg string) {
	p := s.path(arg)
	opts := CreateOptions{Offset: s.takeRest()}
	if opts.Offset == 0 {
		opts.Append = true
	}
	up, err := s.fs.Create(p, opts)
	if err != nil {
		s.refuse("append", p, err)
		return
	}
	s.reply(codeFileStatusOK, "Opening "+s.modeName()+" mode data connection for "+SafeName(p))
	s.startUpload("APPE", p, up, "Transfer complete")
}

// stouTries bounds the search for a free name.
const stouTries = 100

// handleSTOU stores under a name that does not exist yet (RFC 959 §4.1.3),
// derived from the argument when one is given. RFC 1123 §4.1.2.9 fixes the
// preliminary reply as "150 FILE: name".
func (s *session) handleSTOU(arg string) {
	s.takeRest()
	for i := range stouTries {
		var p string
		switch {
		case arg == "":
			p = s.path("ftp-" + randomHex(4))
		case i == 0:
			p = s.path(arg)
		default:
			p = s.path(arg) + "." + strconv.Itoa(i)
		}
		up, err := s.fs.Create(p, CreateOptions{Exclusive: true})
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		if err != nil {
			s.refuse("store unique", p, err)
			return
		}
		name := path.Base(p)
		s.reply(codeFileStatusOK, "FILE: "+SafeName(name))
		s.startUpload("STOU", p, up, "Transfer complete; stored as "+SafeName(name))
		return
	}
	s.closeData()
	s.reply(codeNameNotAllowed, "No unique file name available")
}

func randomHex(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// startUpload runs an upload into up: committed when all data arrived,
// aborted on any failure or ABOR.
func (s *session) startUpload(verb, p string, up Upload, success string) {
	ascii := s.ascii
	j := &job{
		verb:   verb,
		path:   p,
		upload: true,
		ascii:  ascii,
		data:   s.takeData(),
		protP:  s.protP,
		run: func(x *transfer, dc net.Conn) (error, error) {
			var dst io.Writer = up
			var aw *ASCIIWriter
			if ascii {
				aw = NewASCIIWriter(up)
				dst = aw
			}
			if t, ok := tlsDataOf(dc); ok {
				defer t.b.readAhead()()
			}
			_, readErr, writeErr := s.copyData(dst, dc, &x.bytes, pendingOf(dc))
			if readErr == nil && writeErr == nil && aw != nil {
				writeErr = aw.Flush()
			}
			return readErr, writeErr
		},
		finish: func(ok bool) error {
			if ok {
				return up.Commit()
			}
			if err := up.Abort(); err != nil {
				s.log.Error("upload abort failed", "path", p, "err", err)
			}
			return nil
		},
		success: success,
	}
	s.startTransfer(j)
}

// handleABOR aborts the running transfer: it answers 426 and ABOR then
// answers 226 (RFC 959 §4.1.3). Without a transfer, 225.
func (s *session) handleABOR(string) {
	x := s.currentTransfer()
	if x == nil {
		s.closeData()
		s.reply(codeNoTransfer, "No transfer to abort")
		return
	}
	x.abort()
	<-x.done
	s.reply(codeTransferComplete, "ABOR command successful")
}

// handleTYPE sets the representation type (RFC 959 §4.1.2): ASCII
// non-print, or image (also spelled L 8).
func (s *session) handleTYPE(arg string) {
	fields := strings.Fields(strings.ToUpper(arg))
	if len(fields) == 0 {
		s.reply(codeArgError, "TYPE needs an argument")
		return
	}
	switch strings.Join(fields, " ") {
	case "A", "A N":
		s.ascii = true
		s.reply(codeOK, "Type set to A")
	case "I", "L 8", "L8":
		s.ascii = false
		s.reply(codeOK, "Type set to I")
	case "A T", "A C", "E", "E N", "E T", "E C", "L 16", "L 32", "L 36":
		s.reply(codeParamNotImpl, "Type not supported; use A or I")
	default:
		s.reply(codeArgError, "Unknown type")
	}
}

// handleMODE accepts stream mode only (RFC 959 §4.1.2).
func (s *session) handleMODE(arg string) {
	switch strings.ToUpper(strings.TrimSpace(arg)) {
	case "S":
		s.reply(codeOK, "Mode set to S")
	case "B", "C", "Z":
		s.reply(codeParamNotImpl, "Only stream mode (S) is supported")
	default:
		s.reply(codeArgError, "Unknown mode")
	}
}

// handleSTRU accepts file structure only (RFC 959 §4.1.2).
func (s *session) handleSTRU(arg string) {
	switch strings.ToUpper(strings.TrimSpace(arg)) {
	case "F":
		s.reply(codeOK, "Structure set to F")
	case "R", "P":
		s.reply(codeParamNotImpl, "Only file structure (F) is supported")
	default:
		s.reply(codeArgError, "Unknown structure")
	}
}
