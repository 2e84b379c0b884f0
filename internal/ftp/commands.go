package ftp

import "strings"

// command is one row of the command table: its handler and the rules the
// dispatcher applies before calling it.
type command struct {
	handler func(s *session, arg string)
	// needsLogin refuses the command with 530 before login.
	needsLogin bool
	// needsArg refuses an empty argument with 501.
	needsArg bool
	// opensData marks commands that use a data connection: the PROT policy
	// (521) and a prior PASV/EPSV/PORT/EPRT (425) are checked first.
	opensData bool
	// duringTransfer allows the command while a transfer runs; any other
	// command then gets 450.
	duringTransfer bool
	// allowedRestricted allows the command in a restricted session (one
	// whose password must be changed first); any other command then gets
	// 530 and the reason. A command with sub is allowed only for the
	// subcommands that carry the flag themselves.
	allowedRestricted bool
	// sub holds the subcommands of SITE, keyed by upper-case name.
	sub map[string]command
	// usage is a subcommand's argument syntax, for SITE HELP.
	usage string
}

// allowedWhileRestricted applies allowedRestricted to a command line,
// looking through to the subcommand when the command has any.
func (c command) allowedWhileRestricted(arg string) bool {
	if !c.allowedRestricted {
		return false
	}
	if c.sub == nil {
		return true
	}
	name, _ := splitSubcommand(arg)
	sc, ok := c.sub[name]
	return ok && sc.allowedRestricted
}

// splitSubcommand splits a SITE argument into its subcommand, upper-cased,
// and the rest. The dispatcher, the handler and the log redaction all use
// it, so they cannot disagree about which subcommand a line names.
func splitSubcommand(arg string) (name, rest string) {
	name, rest, _ = strings.Cut(strings.TrimLeft(arg, " "), " ")
	return strings.ToUpper(name), rest
}

// siteTable returns the SITE subcommands.
func siteTable() map[string]command {
	return map[string]command{
		"CHMOD": {handler: (*session).siteChmod, usage: "CHMOD mode path"},
		"HELP":  {handler: (*session).siteHelp, usage: "HELP", allowedRestricted: true},
		"PSWD": {handler: (*session).sitePSWD, allowedRestricted: true,
			usage: `PSWD old-password new-password ("quote" a password with spaces; \" and \\ inside quotes)`},
	}
}

// commandTable returns the table of every command Bulwark knows. It is
// built per Server rather than kept in a package variable, so it cannot be
// changed behind a running server's back.
func commandTable() map[string]command {
	const (
		login = true
		anon  = false
	)
	t := map[string]command{
		// Access control, RFC 959 §4.1.1.
		"USER": {handler: (*session).handleUSER, needsLogin: anon, needsArg: true},
		"PASS": {handler: (*session).handlePASS, needsLogin: anon},
		"ACCT": {handler: (*session).handleACCT, needsLogin: anon},
		"CWD":  {handler: (*session).handleCWD, needsLogin: login},
		"CDUP": {handler: (*session).handleCDUP, needsLogin: login},
		"QUIT": {handler: (*session).handleQUIT, needsLogin: anon, duringTransfer: true, allowedRestricted: true},
		"REIN": {handler: (*session).handleNotImplemented, needsLogin: anon},
		"SMNT": {handler: (*session).handleNotImplemented, needsLogin: login},

		// Transfer parameters, RFC 959 §4.1.2; RFC 2428 §2-3.
		"PORT": {handler: (*session).handlePORT, needsLogin: login, needsArg: true},
		"PASV": {handler: (*session).handlePASV, needsLogin: login},
		"EPRT": {handler: (*session).handleEPRT, needsLogin: login, needsArg: true},
		"EPSV": {handler: (*session).handleEPSV, needsLogin: login},
		"TYPE": {handler: (*session).handleTYPE, needsLogin: login, needsArg: true},
		"STRU": {handler: (*session).handleSTRU, needsLogin: login, needsArg: true},
		"MODE": {handler: (*session).handleMODE, needsLogin: login, needsArg: true},

		// Service commands, RFC 959 §4.1.3.
		"RETR": {handler: (*session).handleRETR, needsLogin: login, needsArg: true, opensData: true},
		"STOR": {handler: (*session).handleSTOR, needsLogin: login, needsArg: true, opensData: true},
		"STOU": {handler: (*session).handleSTOU, needsLogin: login, opensData: true},
		"APPE": {handler: (*session).handleAPPE, needsLogin: login, needsArg: true, opensData: true},
		"ALLO": {handler: (*session).handleALLO, needsLogin: login},
		"REST": {handler: (*session).handleREST, needsLogin: login, needsArg: true},
		"RNFR": {handler: (*session).handleRNFR, needsLogin: login, needsArg: true},
		"RNTO": {handler: (*session).handleRNTO, needsLogin: login, needsArg: true},
		"ABOR": {handler: (*session).handleABOR, needsLogin: login, duringTransfer: true},
		"DELE": {handler: (*session).handleDELE, needsLogin: login, needsArg: true},
		"RMD":  {handler: (*session).handleRMD, needsLogin: login, needsArg: true},
		"MKD":  {handler: (*session).handleMKD, needsLogin: login, needsArg: true},
		"PWD":  {handler: (*session).handlePWD, needsLogin: login},
		"LIST": {handler: (*session).handleLIST, needsLogin: login, opensData: true},
		"NLST": {handler: (*session).handleNLST, needsLogin: login, opensData: true},
		"SITE": {handler: (*session).handleSITE, needsLogin: login, needsArg: true, allowedRestricted: true, sub: siteTable()},
		"SYST": {handler: (*session).handleSYST, needsLogin: anon},
		"STAT": {handler: (*session).handleSTAT, needsLogin: login, duringTransfer: true},
		"HELP": {handler: (*session).handleHELP, needsLogin: anon, allowedRestricted: true},
		"NOOP": {handler: (*session).handleNOOP, needsLogin: anon, duringTransfer: true, allowedRestricted: true},

		// RFC 775 spellings still sent by some clients.
		"XCWD": {handler: (*session).handleCWD, needsLogin: login},
		"XCUP": {handler: (*session).handleCDUP, needsLogin: login},
		"XPWD": {handler: (*session).handlePWD, needsLogin: login},
		"XMKD": {handler: (*session).handleMKD, needsLogin: login, needsArg: true},
		"XRMD": {handler: (*session).handleRMD, needsLogin: login, needsArg: true},

		// Security, RFC 2228 §3 and RFC 4217.
		"AUTH": {handler: (*session).handleAUTH, needsLogin: anon, needsArg: true},
		"PBSZ": {handler: (*session).handlePBSZ, needsLogin: anon, needsArg: true, allowedRestricted: true},
		"PROT": {handler: (*session).handlePROT, needsLogin: anon, needsArg: true, allowedRestricted: true},
		"CCC":  {handler: (*session).handleCCC, needsLogin: anon},
		"ADAT": {handler: (*session).handleNotImplemented, needsLogin: anon},
		"MIC":  {handler: (*session).handleNotImplemented, needsLogin: anon},
		"CONF": {handler: (*session).handleNotImplemented, needsLogin: anon},
		"ENC":  {handler: (*session).handleNotImplemented, needsLogin: anon},

		// Feature negotiation, RFC 2389 §3-4; virtual hosts, RFC 7151 §3.
		"FEAT": {handler: (*session).handleFEAT, needsLogin: anon, allowedRestricted: true},
		"OPTS": {handler: (*session).handleOPTS, needsLogin: anon, needsArg: true, allowedRestricted: true},
		"HOST": {handler: (*session).handleHOST, needsLogin: anon, needsArg: true},
		"LANG": {handler: (*session).handleNotImplemented, needsLogin: anon},

		// RFC 3659 and the MFMT and HASH drafts.
		"SIZE": {handler: (*session).handleSIZE, needsLogin: login, needsArg: true},
		"MDTM": {handler: (*session).handleMDTM, needsLogin: login, needsArg: true},
		"MFMT": {handler: (*session).handleMFMT, needsLogin: login, needsArg: true},
		"MLST": {handler: (*session).handleMLST, needsLogin: login},
		"MLSD": {handler: (*session).handleMLSD, needsLogin: login, opensData: true},
		"HASH": {handler: (*session).handleHASH, needsLogin: login, needsArg: true},
	}
	return t
}
