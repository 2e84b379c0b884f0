package ftp

import (
	"crypto/md5"
	"crypto/sha1"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"strconv"
	"strings"
)

// The HASH command (draft-bryan-ftpext-hash): "HASH path" answers
// "213 <algorithm> <start>-<end> <hex digest> <path>" over the control
// connection; OPTS HASH chooses the algorithm for the session.

const defaultHashAlg = "SHA-256"

// hashAlgorithms lists the algorithms in the order FEAT shows them. SHA-1
// and MD5 are offered only because older clients ask for them; they are no
// security measure here, just checksums.
func hashAlgorithms() []string {
	return []string{"SHA-256", "SHA-1", "MD5"}
}

func newHash(alg string) hash.Hash {
	switch alg {
	case "SHA-256":
		return sha256.New()
	case "SHA-1":
		return sha1.New()
	case "MD5":
		return md5.New()
	}
	return nil
}

// hashFeature is the FEAT line, the selected algorithm marked with "*".
func hashFeature(selected string) string {
	algs := hashAlgorithms()
	for i, a := range algs {
		if a == selected {
			algs[i] = a + "*"
		}
	}
	return "HASH " + strings.Join(algs, ";")
}

// optsHASH answers "OPTS HASH" (the current algorithm) and
// "OPTS HASH alg" (choose one).
func (s *session) optsHASH(arg string) {
	arg = strings.ToUpper(strings.TrimSpace(arg))
	if arg == "" {
		s.reply(codeOK, s.hashAlg)
		return
	}
	if newHash(arg) == nil {
		s.reply(codeArgError, "Unknown algorithm; use one of "+strings.Join(hashAlgorithms(), ", "))
		return
	}
	s.hashAlg = arg
	s.reply(codeOK, arg)
}

// handleHASH hashes a whole file. It runs on the control connection, so a
// large file keeps the session busy until it is read.
func (s *session) handleHASH(arg string) {
	p := s.path(arg)
	fi, err := s.fs.Stat(p)
	if err != nil {
		s.fail("hash", p, err, codeActionNotTaken)
		return
	}
	if !fi.Mode().IsRegular() {
		s.reply(codeActionNotTaken, "Not a regular file")
		return
	}
	f, err := s.fs.Open(p, 0)
	if err != nil {
		s.fail("hash", p, err, codeActionNotTaken)
		return
	}
	defer f.Close()
	h := newHash(s.hashAlg)
	n, rerr, _ := s.copyData(h, f, nil, nil)
	if rerr != nil {
		s.fail("hash", p, rerr, codeLocalError)
		return
	}
	s.reply(codeFileStatus, s.hashAlg+" 0-"+strconv.FormatInt(n, 10)+" "+
		hex.EncodeToString(h.Sum(nil))+" "+SafeName(p))
}
