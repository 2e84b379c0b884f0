package ftp

import (
	"slices"
	"strings"
)

// handleSITE runs a SITE subcommand (RFC 959 §4.1.3) from the SITE row's
// table. Whether a restricted session may run it was decided by the
// dispatcher.
func (s *session) handleSITE(arg string) {
	name, rest := splitSubcommand(arg)
	sc, ok := s.srv.cmds["SITE"].sub[name]
	if !ok {
		s.reply(codeParamNotImpl, "Unknown SITE command")
		return
	}
	sc.handler(s, rest)
}

// siteHelp answers SITE HELP.
func (s *session) siteHelp(string) {
	s.replyLines(codeHelp, s.siteHelpLines())
}

// siteHelpLines lists the SITE subcommands with their usage, for SITE HELP
// and HELP SITE.
func (s *session) siteHelpLines() []string {
	sub := s.srv.cmds["SITE"].sub
	names := make([]string, 0, len(sub))
	for n := range sub {
		names = append(names, n)
	}
	slices.Sort(names)
	lines := []string{"SITE commands:"}
	for _, n := range names {
		lines = append(lines, sub[n].usage)
	}
	return append(lines, "End")
}

// usageOf is the usage line of a SITE subcommand, for 501 replies.
func (s *session) usageOf(name string) string {
	return "Usage: SITE " + s.srv.cmds["SITE"].sub[name].usage
}

// oneLine makes text from outside the engine fit a one-line reply; blank
// text gets the fallback.
func oneLine(text, fallback string) string {
	text = strings.TrimSpace(sanitizeText(text))
	if text == "" {
		return fallback
	}
	return text
}
