package ftp

import (
	"io/fs"
	"strconv"
	"strings"
	"time"
)

// mdtmLayout is the time-val of RFC 3659 §2.3, always in UTC.
const mdtmLayout = "20060102150405"

// handleDELE deletes a file (RFC 959 §4.1.3).
func (s *session) handleDELE(arg string) {
	p := s.path(arg)
	if err := s.fs.Remove(p); err != nil {
		s.fail("delete", p, err, codeActionNotTaken)
		return
	}
	s.log.Info("file deleted", "path", p)
	s.reply(codeFileActionOK, "File deleted")
}

// handleRNFR names the file to rename; RNTO must follow at once (RFC 959
// §4.1.3).
func (s *session) handleRNFR(arg string) {
	p := s.path(arg)
	if p == "/" {
		s.reply(codeActionNotTaken, textDenied)
		return
	}
	if _, err := s.fs.Stat(p); err != nil {
		s.fail("rename", p, err, codeActionNotTaken)
		return
	}
	s.renameFrom = p
	s.reply(codePending, "Ready for the destination name")
}

// handleRNTO completes a rename (RFC 959 §4.1.3).
func (s *session) handleRNTO(arg string) {
	from := s.renameFrom
	s.renameFrom = ""
	if from == "" || s.prevVerb != "RNFR" {
		s.reply(codeBadSequence, "Send RNFR first")
		return
	}
	to := s.path(arg)
	if to == "/" {
		s.reply(codeNameNotAllowed, "File name not allowed")
		return
	}
	if err := s.fs.Rename(from, to); err != nil {
		s.fail("rename", from, err, codeActionNotTaken)
		return
	}
	s.log.Info("file renamed", "from", from, "to", to)
	s.reply(codeFileActionOK, "Rename successful")
}

// handleSIZE gives a file's size (RFC 3659 §4). The size must be that of
// the transfer in the current TYPE; in ASCII that would mean reading the
// whole file, so SIZE answers 550 in TYPE A and clients switch to TYPE I,
// as they do anyway to resume transfers.
func (s *session) handleSIZE(arg string) {
	p := s.path(arg)
	fi, err := s.fs.Stat(p)
	if err != nil {
		s.fail("size", p, err, codeActionNotTaken)
		return
	}
	if !fi.Mode().IsRegular() {
		s.reply(codeActionNotTaken, "Not a regular file")
		return
	}
	if s.ascii {
		s.reply(codeActionNotTaken, "SIZE not available in ASCII mode; use TYPE I")
		return
	}
	s.reply(codeFileStatus, strconv.FormatInt(fi.Size(), 10))
}

// handleMDTM gives a file's modification time (RFC 3659 §3).
func (s *session) handleMDTM(arg string) {
	p := s.path(arg)
	fi, err := s.fs.Stat(p)
	if err != nil {
		s.fail("mdtm", p, err, codeActionNotTaken)
		return
	}
	s.reply(codeFileStatus, fi.ModTime().UTC().Format(mdtmLayout))
}

// handleMFMT sets a file's modification time: "MFMT YYYYMMDDHHMMSS path"
// (draft-somers-ftp-mfxx §3). Fractions of a second are accepted and
// dropped.
func (s *session) handleMFMT(arg string) {
	stamp, name, ok := strings.Cut(arg, " ")
	if !ok || name == "" {
		s.reply(codeArgError, "Usage: MFMT YYYYMMDDHHMMSS path")
		return
	}
	stamp, _, _ = strings.Cut(stamp, ".")
	t, err := time.ParseInLocation(mdtmLayout, stamp, time.UTC)
	if err != nil || len(stamp) != len(mdtmLayout) {
		s.reply(codeArgError, "Invalid time: use YYYYMMDDHHMMSS in UTC")
		return
	}
	p := s.path(name)
	if err := s.fs.Chtimes(p, t); err != nil {
		s.fail("mfmt", p, err, codeActionNotTaken)
		return
	}
	s.reply(codeFileStatus, "Modify="+t.Format(mdtmLayout)+"; "+SafeName(p))
}

// handleREST sets the offset for the next RETR, STOR or APPE (RFC 3659 §5,
// stream mode).
func (s *session) handleREST(arg string) {
	n, err := strconv.ParseInt(strings.TrimSpace(arg), 10, 64)
	if err != nil || n < 0 {
		s.reply(codeArgError, "REST needs a byte offset of zero or more")
		return
	}
	s.rest = n
	s.reply(codePending, "Restarting at "+strconv.FormatInt(n, 10)+"; send RETR, STOR or APPE")
}

// handleALLO: storage needs no reservation (RFC 959 §4.1.3: 202).
func (s *session) handleALLO(string) {
	s.reply(codeSuperfluous, "ALLO not needed")
}

// siteChmod handles "SITE CHMOD mode path", mode in octal.
func (s *session) siteChmod(arg string) {
	modeText, name, ok := strings.Cut(strings.TrimLeft(arg, " "), " ")
	mode, err := strconv.ParseUint(modeText, 8, 32)
	if !ok || name == "" || err != nil || mode > 0o777 {
		s.reply(codeArgError, "Usage: SITE CHMOD mode path (mode in octal, at most 777)")
		return
	}
	p := s.path(name)
	if err := s.fs.Chmod(p, fs.FileMode(mode)); err != nil {
		s.fail("chmod", p, err, codeActionNotTaken)
		return
	}
	s.reply(codeOK, "SITE CHMOD command successful")
}
