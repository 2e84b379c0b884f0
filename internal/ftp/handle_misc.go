package ftp

import (
	"bufio"
	"crypto/tls"
	"io/fs"
	"slices"
	"strconv"
	"strings"
)

// handleSYST names the system type (RFC 959 §4.1.3). Clients read "UNIX
// Type: L8" as "expect ls -l listings".
func (s *session) handleSYST(string) {
	s.reply(codeSystemType, "UNIX Type: L8")
}

// handleNOOP does nothing (RFC 959 §4.1.3).
func (s *session) handleNOOP(string) {
	s.reply(codeOK, "NOOP ok")
}

// handleQUIT ends the session (RFC 959 §4.1.1). A running transfer is
// allowed to finish and answer first.
func (s *session) handleQUIT(string) {
	if x := s.currentTransfer(); x != nil {
		<-x.done
	}
	s.reply(codeClosing, "Goodbye")
	s.quit = true
}

// handleNotImplemented answers known commands Bulwark does not offer.
func (s *session) handleNotImplemented(string) {
	s.reply(codeNotImplemented, "Command not implemented")
}

// handleHELP lists the commands, or says whether one is known (RFC 959
// §4.1.3).
func (s *session) handleHELP(arg string) {
	if arg = strings.ToUpper(strings.TrimSpace(arg)); arg != "" {
		if arg == "SITE" {
			s.replyLines(codeHelp, s.siteHelpLines())
			return
		}
		if _, ok := s.srv.cmds[arg]; ok {
			s.reply(codeHelp, "Command "+arg+" is recognized")
		} else {
			s.reply(codeNotImplemented, "Unknown command "+SafeName(arg))
		}
		return
	}
	verbs := make([]string, 0, len(s.srv.cmds))
	for v := range s.srv.cmds {
		verbs = append(verbs, v)
	}
	slices.Sort(verbs)
	lines := []string{"Recognized commands:"}
	for len(verbs) > 0 {
		n := min(len(verbs), 10)
		lines = append(lines, strings.Join(verbs[:n], " "))
		verbs = verbs[n:]
	}
	s.replyLines(codeHelp, append(lines, "Help OK"))
}

// handleFEAT lists the extensions (RFC 2389 §3), each on a line of its own
// starting with a space.
func (s *session) handleFEAT(string) {
	lines := []string{"Extensions supported:"}
	if s.bind != nil {
		// RFC 4217, "Response to the FEAT Command".
		lines = append(lines, "AUTH TLS", "PBSZ", "PROT")
	}
	if !s.cfg.disableActive {
		lines = append(lines, "EPRT")
	}
	lines = append(lines,
		"EPSV",
		hashFeature(s.hashAlg),
		"HOST",
		"MDTM",
		"MFMT",
		mlstFeature(s.facts),
		"REST STREAM")
	if s.bind != nil && (!s.loggedIn || s.login.ChangePassword != nil) {
		// SITE PSWD works only over TLS, and only for accounts that
		// offer it; before login the account is not yet known.
		lines = append(lines, "SITE PSWD")
	}
	lines = append(lines,
		"SIZE",
		"TVFS",
		"UTF8",
		"End")
	s.replyLines(codeSystemStatus, lines)
}

// mlstFeature is the FEAT line of RFC 3659 §7.8: every supported fact, the
// enabled ones marked with "*".
func mlstFeature(enabled []string) string {
	var b strings.Builder
	b.WriteString("MLST ")
	for _, f := range SupportedFacts() {
		b.WriteString(f)
		if slices.Contains(enabled, f) {
			b.WriteByte('*')
		}
		b.WriteByte(';')
	}
	return b.String()
}

// handleOPTS sets options of other commands (RFC 2389 §4).
func (s *session) handleOPTS(arg string) {
	name, value, _ := strings.Cut(strings.TrimSpace(arg), " ")
	switch strings.ToUpper(name) {
	case "UTF8", "UTF-8":
		// RFC 2640: paths are UTF-8 always; there is nothing to switch.
		switch strings.ToUpper(strings.TrimSpace(value)) {
		case "", "ON":
			s.reply(codeOK, "UTF8 mode is always on")
		default:
			s.reply(codeParamNotImpl, "UTF8 cannot be switched off")
		}
	case "MLST":
		s.optsMLST(value)
	case "HASH":
		s.optsHASH(value)
	default:
		s.reply(codeArgError, "Option not understood")
	}
}

// optsMLST selects the facts of MLST and MLSD lines (RFC 3659 §7.9).
// Unknown facts are ignored; the reply lists those in force.
func (s *session) optsMLST(value string) {
	supported := SupportedFacts()
	facts := []string{}
	for _, f := range strings.Split(strings.TrimSpace(value), ";") {
		f = strings.ToLower(strings.TrimSpace(f))
		if slices.Contains(supported, f) && !slices.Contains(facts, f) {
			facts = append(facts, f)
		}
	}
	s.facts = facts
	text := "MLST OPTS"
	if len(facts) > 0 {
		text += " " + strings.Join(facts, ";") + ";"
	}
	s.reply(codeOK, text)
}

// handleSTAT reports the session's status, or during a transfer its
// progress (211). With a path it lists the path over the control
// connection: 213 for a file, 212 for a directory (RFC 959 §4.1.3).
func (s *session) handleSTAT(arg string) {
	x := s.currentTransfer()
	if arg == "" {
		s.replyLines(codeSystemStatus, s.statusLines(x))
		return
	}
	if x != nil {
		s.reply(codeFileUnavailable, "Transfer in progress; try again when it ends")
		return
	}
	p := s.path(listOptions(arg))
	fi, err := s.fs.Stat(p)
	if err != nil {
		s.fail("stat", p, err, codeActionNotTaken)
		return
	}
	now := s.cfg.now()
	if !fi.IsDir() {
		s.replyLines(codeFileStatus, []string{"Status of " + SafeName(p) + ":", FormatListLine(fi, now), "End of status"})
		return
	}
	dir, err := s.fs.OpenDir(p)
	if err != nil {
		s.fail("stat", p, err, codeActionNotTaken)
		return
	}
	defer dir.Close()
	s.wmu.Lock()
	defer s.wmu.Unlock()
	bw := bufio.NewWriter(controlWriter(func(b []byte) (int, error) {
		if err := s.writeLocked(b); err != nil {
			return 0, err
		}
		return len(b), nil
	}))
	code := strconv.Itoa(codeDirStatus)
	bw.WriteString(code + "-Status of " + SafeName(p) + ":\r\n")
	localErr, _ := s.writeListing(bw, dir, p, func(fi fs.FileInfo, _, _ string, _ bool) string {
		// The leading space keeps a line from looking like the end of
		// the reply (RFC 959 §4.2).
		return " " + FormatListLine(fi, now)
	})
	end := "End of status"
	if localErr != nil {
		s.log.Error("file operation failed", "op", "stat", "path", p, "err", localErr)
		end = "End of status (incomplete)"
	}
	bw.WriteString(code + " " + end + "\r\n")
	bw.Flush()
}

type controlWriter func([]byte) (int, error)

func (f controlWriter) Write(b []byte) (int, error) { return f(b) }

// statusLines describes the session for STAT.
func (s *session) statusLines(x *transfer) []string {
	lines := []string{"Bulwark FTP server status:", "Connected from " + s.remote.Addr().String()}
	if s.loggedIn {
		name := s.login.User
		if name == "" {
			name = "(user)"
		}
		lines = append(lines, "Logged in as "+SafeName(name))
	} else {
		lines = append(lines, "Not logged in")
	}
	mode := "ASCII"
	if !s.ascii {
		mode = "BINARY"
	}
	lines = append(lines, "TYPE: "+mode+"; STRUcture: File; transfer MODE: Stream")
	if st := s.tlsState(); st != nil {
		lines = append(lines, "Control connection: "+tls.VersionName(st.Version)+" "+tls.CipherSuiteName(st.CipherSuite))
	} else {
		lines = append(lines, "Control connection: clear text")
	}
	if s.protP {
		lines = append(lines, "Data connections: protected (PROT P)")
	} else {
		lines = append(lines, "Data connections: clear (PROT C)")
	}
	if x != nil {
		lines = append(lines, "Transfer in progress: "+x.verb+" "+SafeName(x.path)+", "+
			strconv.FormatInt(x.bytes.Load(), 10)+" bytes so far")
	} else {
		lines = append(lines, "No transfer in progress")
	}
	return append(lines, "End of status")
}
