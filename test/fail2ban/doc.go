// Package fail2ban checks contrib/fail2ban, the Fail2Ban filter and jails
// for Bulwark, against log lines a real Bulwark server writes.
//
// The test reads the filter file as Fail2Ban does (its [Definition]
// options, %(name)s and <name> substitution, the mode parameter), turns
// its failregex and datepattern lines into Go regular expressions, and
// applies them the way Fail2Ban does: the date is cut out of the line, then
// the first failregex that matches gives the address. It starts a server
// in-process on 127.0.0.1:0, fails logins from several loopback addresses
// with a real FTPS client, and checks that the filter finds each failing
// client, the server's own bans, and nothing in successful logins, for the
// text and the JSON log formats.
//
// When fail2ban-regex is on PATH, the same log is also given to it, the
// judge of record.
package fail2ban
