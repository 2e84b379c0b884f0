package attack

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/config"
	bftp "github.com/bulwark-ftp/bulwark/internal/ftp"
	"github.com/bulwark-ftp/bulwark/internal/user"
	"github.com/bulwark-ftp/bulwark/internal/vfs"
)

// jailWorld is a user's home and a shared folder, each with a sentinel
// directory beside it and symbolic links inside that lead out.
type jailWorld struct {
	e                *env
	home, share      string
	homeSen, shareSn *sentinel
	// links maps each planted link's virtual path to its host path and
	// target.
	links map[string][2]string
	// inflight is a planted temporary upload file.
	inflight string
}

const uploadMarker = "UPLOADED-BY-THE-ATTACKER"

// newJailWorld starts a server for alice with the share "proj" mounted at
// /proj with every right.
func newJailWorld(t *testing.T) *jailWorld {
	t.Helper()
	e := newEnv(t, func(c *config.Config) {
		// Long enough for a 5000-byte path to reach the file system.
		c.Server.MaxLineLength = 8192
	})
	w := &jailWorld{e: e}
	w.home = e.addUser(alice, alicePass)
	w.homeSen = plantSentinel(t, filepath.Join(filepath.Dir(w.home), "sentinel"))
	w.share = filepath.Join(e.base, "shares", "proj")
	w.shareSn = plantSentinel(t, filepath.Join(e.base, "shares", "sentinel"))
	ctx := context.Background()
	if err := e.Store.CreateShare(ctx, &user.Share{Name: "proj", Path: w.share}); err != nil {
		t.Fatal(err)
	}
	if err := e.Store.SetGrant(ctx, user.Grant{Share: "proj", User: alice, At: "/proj", Rights: user.RightsAll}); err != nil {
		t.Fatal(err)
	}
	w.links = map[string][2]string{
		"/esc":          {filepath.Join(w.home, "esc"), w.homeSen.dir},
		"/escrel":       {filepath.Join(w.home, "escrel"), "../sentinel"},
		"/escfile":      {filepath.Join(w.home, "escfile"), filepath.Join(w.homeSen.dir, "secret.txt")},
		"/passwd":       {filepath.Join(w.home, "passwd"), "/etc/passwd"},
		"/etc":          {filepath.Join(w.home, "etc"), "/etc"},
		"/sub/up":       {filepath.Join(w.home, "sub", "up"), "../../sentinel"},
		"/proj/esc":     {filepath.Join(w.share, "esc"), w.homeSen.dir},
		"/proj/up":      {filepath.Join(w.share, "up"), ".."},
		"/proj/escfile": {filepath.Join(w.share, "escfile"), "../sentinel/secret.txt"},
		// Loops lead nowhere, but must not confuse anything either.
		"/loop":      {filepath.Join(w.home, "loop"), "loop"},
		"/proj/loop": {filepath.Join(w.share, "loop"), "../proj/loop"},
	}
	w.plant(t)
	// What looks like another session's upload in flight: clients may not
	// see, read, replace or remove it.
	w.inflight = filepath.Join(w.home, vfs.TempPrefix+w.homeSen.name)
	if err := os.WriteFile(w.inflight, []byte(w.homeSen.content), 0o640); err != nil {
		t.Fatal(err)
	}
	e.start()
	return w
}

// plant restores the fixture that commands may have changed: the files,
// directories and links inside the home and the share. It only ever
// touches paths inside them.
func (w *jailWorld) plant(t *testing.T) {
	t.Helper()
	for _, d := range []string{w.home + "/sub", w.home + "/d", w.share + "/pubdir"} {
		if info, err := os.Lstat(d); err == nil && !info.IsDir() {
			os.Remove(d)
		}
		if err := os.MkdirAll(d, 0o750); err != nil {
			t.Fatal(err)
		}
	}
	for p, data := range map[string]string{
		w.home + "/inside.txt":   "inside",
		w.home + "/sub/file.txt": "sub file",
		w.share + "/pub.txt":     "pub",
	} {
		if got, err := os.ReadFile(p); err != nil || string(got) != data {
			os.RemoveAll(p)
			if err := os.WriteFile(p, []byte(data), 0o640); err != nil {
				t.Fatal(err)
			}
		}
	}
	fifo, sock := w.home+"/fifo", w.home+"/sock"
	if _, err := os.Lstat(fifo); err != nil {
		os.Remove(sock)
		plantSpecial(t, fifo, sock)
	}
	for _, l := range w.links {
		if target, err := os.Readlink(l[0]); err == nil && target == l[1] {
			continue
		}
		// RemoveAll of a link removes the link, never its target.
		os.RemoveAll(l[0])
		if err := os.Symlink(l[1], l[0]); err != nil {
			t.Fatal(err)
		}
	}
}

// through reports whether virtual path p reaches beyond one of the planted
// links (and so outside), and whether p is a link itself.
func (w *jailWorld) through(p string) (beyond, isLink bool) {
	for v := range w.links {
		if p == v {
			isLink = true
		}
		if strings.HasPrefix(p, v+"/") {
			beyond = true
		}
	}
	return beyond, isLink
}

// attackPaths are the arguments tried with every command.
func attackPaths() []string {
	return []string{
		// ".." in its spellings.
		"..", "../", "../..", "../sentinel", "../sentinel/secret.txt", "../../sentinel/secret.txt",
		"..\\sentinel\\secret.txt", "..\\..\\sentinel", "/./../sentinel/secret.txt",
		"%2e%2e/sentinel/secret.txt", "..%2f..%2fsentinel", "..//..//sentinel//secret.txt",
		"sub/../../sentinel/secret.txt", "sub/..", "/sub/../..", "sub/file.txt/..", "esc/..",
		"....//sentinel", ".../sentinel", "~/../sentinel", "~root",
		strings.Repeat("../", 1300) + "sentinel/secret.txt",
		// Host paths.
		"/etc/passwd", "//etc/passwd", "\\etc\\passwd", "C:\\Windows\\win.ini",
		"/proj/..", "/proj/../sentinel/secret.txt", "/proj/../../shares/sentinel",
		// Over-long names.
		strings.Repeat("a", 300), "sub/" + strings.Repeat("b", 300) + "/x", strings.Repeat("d/", 2500),
		// Through links planted in the home and in the share.
		"esc", "esc/secret.txt", "esc/inner", "esc/emptydir", "/proj/up/sentinel/emptydir", "escrel/secret.txt", "escfile", "passwd", "etc",
		"etc/passwd", "sub/up", "sub/up/secret.txt", "/proj/esc", "/proj/esc/secret.txt",
		"/proj/up", "/proj/up/sentinel/secret.txt", "/proj/up/sentinel", "/proj/escfile",
		"loop", "loop/x", "/proj/loop/x",
		// Special files: a FIFO must not block a command, a socket cannot
		// be read.
		"fifo", "sock", "fifo/x",
		// An upload in flight, by its name.
		vfs.TempPrefix + "{inflight}",
	}
}

// pathCommand is one path-taking command. through marks commands that act
// on what the last element of the path refers to (a link's target)
// rather than on the name itself.
type pathCommand struct {
	format  string // the command with %s for the path
	data    bool
	upload  bool
	through bool
}

func pathCommands() []pathCommand {
	return []pathCommand{
		{"RETR %s", true, false, true},
		{"STOR %s", true, true, true},
		{"STOU %s", true, true, false},
		{"APPE %s", true, true, true},
		{"LIST %s", true, false, true},
		{"NLST %s", true, false, true},
		{"MLSD %s", true, false, true},
		{"MLST %s", false, false, true},
		{"STAT %s", false, false, true},
		{"SIZE %s", false, false, true},
		{"MDTM %s", false, false, true},
		{"MFMT 20000101000000 %s", false, false, true},
		{"HASH %s", false, false, true},
		{"DELE %s", false, false, false},
		{"RMD %s", false, false, false},
		{"MKD %s", false, false, true},
		{"RNFR %s", false, false, true},
		{"RNTO %s", false, false, false},
		{"SITE CHMOD 777 %s", false, false, true},
		{"CWD %s", false, false, true},
	}
}

// Every path-taking command is given every path: nothing outside the home
// or the share is ever read, listed, written or changed, no reply reveals
// a host path, and whatever leads through a planted link is refused.
func TestPathAttacks(t *testing.T) {
	t.Parallel()
	w := newJailWorld(t)
	e := w.e
	homesBefore := takeSnapshot(t, filepath.Dir(w.home), filepath.Base(w.home))
	inflightBefore := takeSnapshot(t, w.inflight)
	sharesBefore := takeSnapshot(t, filepath.Dir(w.share), filepath.Base(w.share))
	passwdBefore := hostFileState("/etc/passwd")

	r := e.rawLogin(t, alice, alicePass)
	codes := map[int]int{}
	check := func(cmd, text string, data []byte) {
		t.Helper()
		for _, s := range []*sentinel{w.homeSen, w.shareSn} {
			if found := s.leaks(text + string(data)); len(found) > 0 {
				t.Errorf("%s: a sentinel leaked: %q", shorten(cmd), found)
			}
		}
		if strings.Contains(string(data)+text, "root:x:0:0") {
			t.Errorf("%s: /etc/passwd leaked", shorten(cmd))
		}
		if strings.Contains(text, sentinelTime.Format("20060102150405")) ||
			strings.Contains(text, fmt.Sprintf("size=%d;", sentinelSize)) || text == fmt.Sprint(sentinelSize) {
			t.Errorf("%s: a sentinel's metadata leaked: %q", shorten(cmd), text)
		}
	}
	for _, cwd := range []string{"/", "/proj"} {
		r.expect("CWD "+cwd, 250)
		for _, pc := range pathCommands() {
			for _, p := range attackPaths() {
				w.plant(t)
				if strings.HasPrefix(pc.format, "RNTO") {
					r.expect("RNFR /inside.txt", 350)
				}
				p = strings.ReplaceAll(p, "{inflight}", w.homeSen.name)
				cmd := fmt.Sprintf(pc.format, p)
				var (
					code int
					text string
					data []byte
				)
				if pc.data {
					var up []byte
					if pc.upload {
						up = []byte(uploadMarker)
					}
					code, text, data = r.transfer(cmd, up, 4<<20)
				} else {
					code, text = r.send(cmd)
				}
				codes[code]++
				check(cmd, text, data)
				if code == 421 || text == "Requested action aborted: local error in processing" {
					t.Errorf("%s: %d %q", shorten(cmd), code, text)
				}
				beyond, isLink := w.through(bftp.ResolvePath(cwd, p))
				if (beyond || isLink && pc.through) && code < 500 {
					t.Errorf("%s (cwd %s): %d %q, want a refusal", shorten(cmd), cwd, code, text)
				}
				switch {
				case code == 350 && strings.HasPrefix(cmd, "RNFR"):
					r.send("RNTO /renamed-away")
				case code == 250 && strings.HasPrefix(cmd, "CWD"):
					r.expect("CWD "+cwd, 250)
				}
			}
		}
	}
	r.stillServes()
	t.Logf("reply codes: %v", codes)

	if d := homesBefore.diff(takeSnapshot(t, filepath.Dir(w.home), filepath.Base(w.home))); len(d) > 0 {
		t.Errorf("beside the home, changed: %q", d)
	}
	if d := sharesBefore.diff(takeSnapshot(t, filepath.Dir(w.share), filepath.Base(w.share))); len(d) > 0 {
		t.Errorf("beside the share, changed: %q", d)
	}
	if d := inflightBefore.diff(takeSnapshot(t, w.inflight)); len(d) > 0 {
		t.Errorf("the upload in flight was touched: %q", d)
	}
	if got := hostFileState("/etc/passwd"); got != passwdBefore {
		t.Errorf("/etc/passwd changed: %s => %s", passwdBefore, got)
	}
	// Every upload that was accepted landed inside the home or the share.
	filepath.WalkDir(e.base, func(p string, d os.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() || strings.HasPrefix(p, w.home+"/") || strings.HasPrefix(p, w.share+"/") {
			return nil
		}
		if data, err := os.ReadFile(p); err == nil && strings.Contains(string(data), uploadMarker) {
			t.Errorf("an upload landed outside the jails: %s", p)
		}
		return nil
	})
	if !strings.Contains(e.logs.String(), "refused path outside the home directory") {
		t.Error("no escape attempt was logged")
	}
	e.noPanics()
}
