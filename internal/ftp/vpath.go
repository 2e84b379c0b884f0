package ftp

import "path"

// ResolvePath resolves a command argument against the working directory and
// returns an absolute, clean virtual path that never climbs above "/".
//
// An empty arg means cwd; an absolute arg replaces cwd; a relative one is
// joined to it. Backslashes are ordinary characters, as on Unix. cwd should
// already be absolute and clean; it is made so in any case, so the result
// always starts with "/" and has no "." or ".." element.
func ResolvePath(cwd, arg string) string {
	switch {
	case arg == "":
		return path.Clean("/" + cwd)
	case arg[0] == '/':
		return path.Clean(arg)
	default:
		// Cleaning a rooted path drops any ".." that would climb past "/".
		return path.Clean("/" + cwd + "/" + arg)
	}
}
