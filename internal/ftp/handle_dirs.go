package ftp

// path resolves a command argument to a virtual path.
func (s *session) path(arg string) string {
	return ResolvePath(s.cwd, arg)
}

// fail answers an error from the FileSystem through errorReply and logs
// what the client does not see.
func (s *session) fail(op, p string, err error, fallback int) {
	code, text := errorReply(err, fallback)
	if isPublic(err) {
		s.log.Debug("file operation refused", "op", op, "path", p, "err", err)
	} else {
		s.log.Error("file operation failed", "op", op, "path", p, "err", err)
	}
	s.reply(code, text)
}

// handleCWD changes the working directory (RFC 959 §4.1.1).
func (s *session) handleCWD(arg string) {
	p := s.path(arg)
	fi, err := s.fs.Stat(p)
	if err != nil {
		s.fail("cwd", p, err, codeActionNotTaken)
		return
	}
	if !fi.IsDir() {
		s.reply(codeActionNotTaken, textNotDir)
		return
	}
	s.cwd = p
	s.reply(codeFileActionOK, "Directory changed to "+SafeName(p))
}

// handleCDUP is CWD "..". RFC 959 §5.4 lists 200 for it, but it is a CWD in
// all but name (§4.1.1) and clients expect CWD's 250.
func (s *session) handleCDUP(string) {
	s.handleCWD("..")
}

// handlePWD names the working directory (RFC 959 §4.1.3, Appendix II).
func (s *session) handlePWD(string) {
	s.reply(codePathCreated, quotePath(s.cwd)+" is the current directory")
}

// handleMKD creates a directory (RFC 959 §4.1.3, Appendix II).
func (s *session) handleMKD(arg string) {
	p := s.path(arg)
	if err := s.fs.Mkdir(p); err != nil {
		s.fail("mkdir", p, err, codeActionNotTaken)
		return
	}
	s.log.Info("directory created", "path", p)
	s.reply(codePathCreated, quotePath(p)+" created")
}

// handleRMD removes a directory (RFC 959 §4.1.3).
func (s *session) handleRMD(arg string) {
	p := s.path(arg)
	if p == "/" {
		s.reply(codeActionNotTaken, textDenied)
		return
	}
	if err := s.fs.Rmdir(p); err != nil {
		s.fail("rmdir", p, err, codeActionNotTaken)
		return
	}
	s.log.Info("directory removed", "path", p)
	s.reply(codeFileActionOK, "Directory removed")
}
