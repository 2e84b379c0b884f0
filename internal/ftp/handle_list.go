package ftp

import (
	"bufio"
	"errors"
	"io"
	"io/fs"
	"net"
	"path"
	"strings"
	"sync/atomic"
)

// listChunk is how many entries are read from a directory at a time, so a
// directory of any size is listed in bounded memory.
const listChunk = 256

// listFormat turns one entry into one line (without CRLF). name is the
// entry's name as listed, p its virtual path; inDir says whether it is an
// entry of a listed directory rather than a file listed by itself.
type listFormat func(fi fs.FileInfo, name, p string, inDir bool) string

// listOptions drops leading "ls" options such as "-la": clients send them,
// and Bulwark lists what the FileSystem gives either way.
func listOptions(arg string) string {
	for strings.HasPrefix(arg, "-") {
		_, rest, _ := strings.Cut(arg, " ")
		arg = strings.TrimLeft(rest, " ")
	}
	return arg
}

// handleLIST sends an "ls -l" style listing (RFC 959 §4.1.3).
func (s *session) handleLIST(arg string) {
	now := s.cfg.now()
	s.startListing("LIST", listOptions(arg), false, func(fi fs.FileInfo, _, _ string, _ bool) string {
		return FormatListLine(fi, now)
	})
}

// handleNLST sends bare names (RFC 959 §4.1.3). Given a directory
// argument, names are prefixed with it, as clients use them in RETR.
func (s *session) handleNLST(arg string) {
	arg = listOptions(arg)
	prefix := strings.TrimRight(arg, "/")
	if arg != "" && prefix == "" {
		prefix = "/"
	}
	s.startListing("NLST", arg, false, func(_ fs.FileInfo, name, _ string, inDir bool) string {
		if prefix != "" && inDir {
			return FormatNLSTName(path.Join(prefix, name))
		}
		return FormatNLSTName(name)
	})
}

// handleMLSD sends a machine-readable listing of a directory (RFC 3659
// §7).
func (s *session) handleMLSD(arg string) {
	facts := s.facts
	s.startListing("MLSD", arg, true, func(fi fs.FileInfo, name, p string, _ bool) string {
		return FormatFacts(fi, name, factType(fi), s.permFact(p, fi), facts)
	})
}

// factType is the RFC 3659 §7.5.1 type of an entry; other kinds of file
// get an "OS.unix=" type, as the RFC suggests.
func factType(fi fs.FileInfo) string {
	m := fi.Mode()
	switch {
	case m.IsDir():
		return "dir"
	case m.IsRegular():
		return "file"
	case m&fs.ModeSymlink != 0:
		return "OS.unix=symlink"
	case m&fs.ModeNamedPipe != 0:
		return "OS.unix=fifo"
	case m&fs.ModeSocket != 0:
		return "OS.unix=socket"
	case m&fs.ModeCharDevice != 0:
		return "OS.unix=chr"
	case m&fs.ModeDevice != 0:
		return "OS.unix=blk"
	}
	return "OS.unix=other"
}

// permFact asks the FileSystem for the perm fact when it can give one.
func (s *session) permFact(p string, fi fs.FileInfo) string {
	if pf, ok := s.fs.(PermFacter); ok {
		return pf.PermFact(p, fi)
	}
	return ""
}

// startListing checks the target, answers 150 and streams the listing on
// the data connection. A file gives a one-line listing; MLSD needs a
// directory (RFC 3659 §7.2.1: 501 otherwise).
func (s *session) startListing(verb, arg string, dirOnly bool, format listFormat) {
	s.takeRest()
	p := s.path(arg)
	fi, err := s.fs.Stat(p)
	if err != nil {
		s.refuse("list", p, err)
		return
	}
	var dir fs.ReadDirFile
	if fi.IsDir() {
		dir, err = s.fs.OpenDir(p)
		if err != nil {
			s.refuse("list", p, err)
			return
		}
	} else if dirOnly {
		s.closeData()
		s.reply(codeArgError, textNotDir)
		return
	}
	j := &job{
		verb:  verb,
		path:  p,
		data:  s.takeData(),
		protP: s.protP,
		run: func(x *transfer, dc net.Conn) (error, error) {
			bw := bufio.NewWriterSize(&countWriter{w: dc, n: &x.bytes}, 64<<10)
			var localErr, netErr error
			if dir == nil {
				_, netErr = bw.WriteString(format(fi, displayName(arg, fi), p, false) + "\r\n")
			} else {
				localErr, netErr = s.writeListing(bw, dir, p, format)
			}
			if netErr == nil {
				netErr = bw.Flush()
			}
			return netErr, localErr
		},
		finish: func(bool) error {
			if dir != nil {
				dir.Close()
			}
			return nil
		},
		success: "Transfer complete",
	}
	s.reply(codeFileStatusOK, "Opening ASCII mode data connection for file list")
	s.startTransfer(j)
}

// displayName is how a single file is named when it is listed by itself:
// as the client asked for it.
func displayName(arg string, fi fs.FileInfo) string {
	if arg == "" {
		return fi.Name()
	}
	return arg
}

// writeListing streams a directory, one chunk of entries at a time. It
// returns the directory's error and the writer's error apart.
func (s *session) writeListing(w *bufio.Writer, dir fs.ReadDirFile, p string, format listFormat) (localErr, netErr error) {
	for {
		entries, err := dir.ReadDir(listChunk)
		for _, e := range entries {
			info, ierr := e.Info()
			if ierr != nil {
				// Removed since it was read: leave it out.
				continue
			}
			line := format(info, e.Name(), path.Join(p, e.Name()), true)
			if _, werr := w.WriteString(line + "\r\n"); werr != nil {
				return nil, werr
			}
		}
		if errors.Is(err, io.EOF) || (err == nil && len(entries) == 0) {
			return nil, nil
		}
		if err != nil {
			return err, nil
		}
	}
}

// countWriter counts what reaches the data connection.
type countWriter struct {
	w io.Writer
	n *atomic.Int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n.Add(int64(n))
	return n, err
}

// handleMLST describes one entry over the control connection (RFC 3659
// §7.2): "250-", the fact line indented by one space, "250 End".
func (s *session) handleMLST(arg string) {
	p := s.path(arg)
	fi, err := s.fs.Stat(p)
	if err != nil {
		s.fail("mlst", p, err, codeActionNotTaken)
		return
	}
	line := FormatFacts(fi, p, factType(fi), s.permFact(p, fi), s.facts)
	s.replyLines(codeFileActionOK, []string{"Listing " + SafeName(p), line, "End"})
}
