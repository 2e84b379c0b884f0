package main

import (
	"context"
	"encoding/json"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/store/sqlite"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

const testPassword = "Walnut-Ferry-Glow-83\n"

// db opens the environment's database directly, for checks and for
// recording usage as the server would.
func (e *env) db() *sqlite.Store {
	e.t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(e.dataDir, "bulwark.db"))
	if err != nil {
		e.t.Fatal(err)
	}
	e.t.Cleanup(func() { st.Close() })
	return st
}

// addUser creates a user with a password from standard input.
func (e *env) addUser(name string, flags ...string) result {
	e.t.Helper()
	return e.ok(testPassword, append([]string{"user", "add", name, "--password-stdin"}, flags...)...)
}

// jsonOf runs args (which end in --json) and decodes the output into v.
func (e *env) jsonOf(v any, args ...string) {
	e.t.Helper()
	r := e.ok("", args...)
	if err := json.Unmarshal([]byte(r.stdout), v); err != nil {
		e.t.Fatalf("%v: %v\n%s", args, err, r.stdout)
	}
}

func rules(specs ...string) user.Rules {
	var out user.Rules
	for _, s := range specs {
		r, err := user.ParsePathRule(s)
		if err != nil {
			panic(err)
		}
		out = append(out, r)
	}
	return out
}

// lineOf returns the line of out that starts with prefix.
func lineOf(out, prefix string) string {
	for l := range strings.SplitSeq(out, "\n") {
		if strings.HasPrefix(l, prefix) {
			return l
		}
	}
	return ""
}

func checkPerms(t *testing.T, e *env, name string, want ...string) {
	t.Helper()
	got := e.storedUser(name).Perms
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, rules(want...)) {
		t.Errorf("perms of %s = %v, want %v", name, got, want)
	}
}

func TestUserDefaultPerms(t *testing.T) {
	e := newEnv(t)
	e.addUser("alice")
	checkPerms(t, e, "alice", "/=all")

	var shown struct {
		Perms     []ruleJSON      `json:"perms"`
		Effective []effectiveJSON `json:"effective"`
		Mounts    []mountJSON     `json:"mounts"`
		Groups    []string        `json:"groups"`
	}
	e.jsonOf(&shown, "user", "show", "alice", "--json")
	if !reflect.DeepEqual(shown.Perms, []ruleJSON{{"/", "all"}}) ||
		!reflect.DeepEqual(shown.Effective, []effectiveJSON{{"/", "all", "user"}}) ||
		shown.Mounts == nil || len(shown.Mounts) != 0 || shown.Groups == nil || len(shown.Groups) != 0 {
		t.Errorf("show --json: %+v", shown)
	}

	// Given rules replace the default.
	e.addUser("partner", "--perm", "/=upload")
	checkPerms(t, e, "partner", "/=upload")
}

func TestUserPermEdits(t *testing.T) {
	e := newEnv(t)
	e.addUser("bob", "--perm", "/=read", "--perm", "/in=upload,mkdir", "--perm", "/in/=list") // the last wins
	checkPerms(t, e, "bob", "/=read", "/in=list")

	// none is a rule of its own: it hides /secret.
	e.ok("", "user", "set", "bob", "--perm", "/secret=none", "--perm", "/in=upload,mkdir")
	checkPerms(t, e, "bob", "/=read", "/in=upload,mkdir", "/secret=none")

	// Unsetting removes the rule, so / applies to /secret again.
	e.ok("", "user", "set", "bob", "--unset-perm", "/secret/")
	checkPerms(t, e, "bob", "/=read", "/in=upload,mkdir")

	// Order: clear, then unset, then set, whatever the command line order.
	e.ok("", "user", "set", "bob", "--perm", "/in=all", "--unset-perm", "/in", "--perm", "/out=download")
	checkPerms(t, e, "bob", "/=read", "/in=all", "/out=download")
	e.ok("", "user", "set", "bob", "--perm", "/=list", "--clear-perms")
	checkPerms(t, e, "bob", "/=list")

	// Unsetting a rule that is not there changes nothing and says so.
	r := e.run("", "user", "set", "bob", "--unset-perm", "/nope", "--perm", "/=all")
	if r.code != exitError || !strings.Contains(r.stderr, `--unset-perm "/nope": there is no rule at /nope`) {
		t.Errorf("unset of a missing rule: exit %d, %q", r.code, r.stderr)
	}
	r = e.run("", "user", "set", "bob", "--clear-perms", "--unset-perm", "/")
	if r.code != exitError {
		t.Errorf("unset after clear: exit %d, %q", r.code, r.stderr)
	}
	checkPerms(t, e, "bob", "/=list")

	// No rules and no groups: allowed, with a note.
	r = e.ok("", "user", "set", "bob", "--clear-perms")
	if !strings.Contains(r.stderr, "no rules and no groups") {
		t.Errorf("no note for a user without rules: %q", r.stderr)
	}
	checkPerms(t, e, "bob")
}

func TestUserGroupsAndLimits(t *testing.T) {
	e := newEnv(t)
	e.ok("", "group", "add", "staff")
	e.ok("", "group", "add", "Partners")
	e.ok("", "group", "add", "audit")

	e.addUser("carol", "--group", "STAFF", "--group", "partners", "--group", "staff",
		"--max-bytes", "10G", "--max-files", "1000", "--max-file-size", "1.5M",
		"--max-sessions", "3", "--upload-rate", "5M", "--download-rate", "512K")
	u := e.storedUser("carol")
	if !reflect.DeepEqual(u.Groups, []string{"Partners", "staff"}) {
		t.Errorf("groups %v", u.Groups)
	}
	wantLimits := user.Limits{MaxBytes: 10 << 30, MaxFiles: 1000, MaxFileSize: 3 << 19}
	if u.Limits != wantLimits || u.MaxSessions != 3 || u.UploadRate != 5<<20 || u.DownloadRate != 512<<10 {
		t.Errorf("limits %+v, sessions %d, rates %d %d", u.Limits, u.MaxSessions, u.UploadRate, u.DownloadRate)
	}

	r := e.ok("", "user", "show", "carol")
	for _, want := range []string{"groups:", "Partners, staff", "10 GiB", "1.5 MiB", "1000", "5 MiB/s", "512 KiB/s",
		"max sessions:", "not counted yet", "own rules:", "effective rules:", "shared folders: none"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}
	r = e.ok("", "user", "list")
	if !strings.Contains(r.stdout, "GROUPS") || !strings.Contains(r.stdout, "Partners,staff") {
		t.Errorf("list:\n%s", r.stdout)
	}

	// Groups change in the order clear, remove, add.
	e.ok("", "user", "set", "carol", "--add-group", "audit", "--remove-group", "Staff")
	if g := e.storedUser("carol").Groups; !reflect.DeepEqual(g, []string{"audit", "Partners"}) {
		t.Errorf("after add/remove: %v", g)
	}
	e.ok("", "user", "set", "carol", "--add-group", "staff", "--clear-groups")
	if g := e.storedUser("carol").Groups; !reflect.DeepEqual(g, []string{"staff"}) {
		t.Errorf("after clear/add: %v", g)
	}
	r = e.run("", "user", "set", "carol", "--remove-group", "audit")
	if r.code != exitError || !strings.Contains(r.stderr, `--remove-group "audit": user "carol" is not in that group`) {
		t.Errorf("remove of a non-member: exit %d, %q", r.code, r.stderr)
	}
	r = e.run("", "user", "set", "carol", "--add-group", "nosuch")
	if r.code != exitError || r.stderr != "bulwark: group \"nosuch\": not found\n" {
		t.Errorf("unknown group: exit %d, %q", r.code, r.stderr)
	}

	// Limits change alone; 0 lifts one.
	e.ok("", "user", "set", "carol", "--max-bytes", "0", "--upload-rate", "1M")
	u = e.storedUser("carol")
	if u.Limits.MaxBytes != 0 || u.Limits.MaxFiles != 1000 || u.UploadRate != 1<<20 || u.DownloadRate != 512<<10 {
		t.Errorf("after set: %+v up %d down %d", u.Limits, u.UploadRate, u.DownloadRate)
	}

	// Usage as the server records it.
	if err := e.db().SetUsage(context.Background(), store.UsageUser, "carol", user.Usage{Bytes: 12897485, Files: 45, Known: true}); err != nil {
		t.Fatal(err)
	}
	r = e.ok("", "user", "show", "carol")
	if !strings.Contains(r.stdout, "12.3 MiB in 45 files") || !strings.HasSuffix(lineOf(r.stdout, "max bytes:"), " unlimited") {
		t.Errorf("show after usage:\n%s", r.stdout)
	}
	var shown struct {
		Usage  usageJSON  `json:"usage"`
		Limits limitsJSON `json:"limits"`
	}
	e.jsonOf(&shown, "user", "show", "carol", "--json")
	if shown.Usage != (usageJSON{Known: true, Bytes: 12897485, Files: 45}) ||
		shown.Limits != (limitsJSON{MaxBytes: 0, MaxFiles: 1000, MaxFileSize: 3 << 19}) {
		t.Errorf("show --json: %+v", shown)
	}
}

// TestUserShowEffective is the worked example of docs/permissions.md.
func TestUserShowEffective(t *testing.T) {
	e := newEnv(t)
	projects := t.TempDir()
	e.ok("", "group", "add", "staff", "--perm", "/=read")
	e.ok("", "share", "add", "projects", "--path", projects)
	e.ok("", "share", "grant", "projects", "--group", "staff", "--at", "/projects", "--perm", "read,upload",
		"--max-bytes", "1G")
	e.addUser("dana", "--group", "staff", "--perm", "/reports=all")
	e.addUser("partner", "--perm", "/=upload")

	var shown userShowJSON
	e.jsonOf(&shown, "user", "show", "dana", "--json")
	wantEff := []effectiveJSON{
		{"/", "read", "group:staff"},
		{"/projects", "read,upload", "share:projects via group:staff"},
		{"/reports", "all", "user"},
	}
	if !reflect.DeepEqual(shown.Effective, wantEff) {
		t.Errorf("effective %+v\nwant %+v", shown.Effective, wantEff)
	}
	wantMounts := []mountJSON{{Share: "projects", At: "/projects", HostPath: projects, Via: "group:staff",
		Limits: limitsJSON{MaxBytes: 1 << 30}}}
	if !reflect.DeepEqual(shown.Mounts, wantMounts) {
		t.Errorf("mounts %+v\nwant %+v", shown.Mounts, wantMounts)
	}
	if !reflect.DeepEqual(shown.Perms, []ruleJSON{{"/reports", "all"}}) || !reflect.DeepEqual(shown.Groups, []string{"staff"}) {
		t.Errorf("perms %+v groups %v", shown.Perms, shown.Groups)
	}

	r := e.ok("", "user", "show", "dana")
	for _, want := range []string{"from share:projects via group:staff", "/reports", "from user",
		"share projects", projects, "at most 1 GiB"} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("show lacks %q:\n%s", want, r.stdout)
		}
	}

	e.jsonOf(&shown, "user", "show", "partner", "--json")
	if !reflect.DeepEqual(shown.Effective, []effectiveJSON{{"/", "upload", "user"}}) || len(shown.Mounts) != 0 {
		t.Errorf("partner: %+v", shown)
	}
}

func TestBadValuesNameTheirFlag(t *testing.T) {
	e := newEnv(t)
	e.addUser("alice")
	e.ok("", "group", "add", "staff")
	e.ok("", "share", "add", "projects", "--path", t.TempDir())

	usage := []struct {
		name string
		args []string
		want string
	}{
		{"unknown right", []string{"user", "add", "bob", "--perm", "/x=fly"},
			`--perm "/x=fly": unknown right "fly" (known: list, download, upload`},
		{"relative rule path", []string{"user", "add", "bob", "--perm", "x=all"}, `--perm "x=all": invalid virtual path "x": must start with /`},
		{"dot-dot rule path", []string{"user", "set", "alice", "--perm", "/a/../b=all"}, `--perm "/a/../b=all": invalid virtual path`},
		{"rule without rights", []string{"user", "add", "bob", "--perm", "/x"}, `--perm "/x": want /PATH=RIGHTS`},
		{"empty rights", []string{"user", "add", "bob", "--perm", "/x="}, `--perm "/x=": empty (use "none" for no rights)`},
		{"size unit", []string{"user", "add", "bob", "--max-bytes", "10X"}, `--max-bytes "10X": unknown unit "X"`},
		{"file size", []string{"user", "set", "alice", "--max-file-size", "big"}, `--max-file-size "big": unknown unit "big"; want bytes`},
		{"negative files", []string{"user", "add", "bob", "--max-files", "-1"}, `--max-files "-1": want a whole number`},
		{"sessions", []string{"user", "set", "alice", "--max-sessions", "many"}, `--max-sessions "many": want a whole number`},
		{"upload rate", []string{"user", "add", "bob", "--upload-rate", "fast"}, `--upload-rate "fast": unknown unit "fast"`},
		{"download rate fraction", []string{"user", "set", "alice", "--download-rate", "1.5"}, `--download-rate "1.5": want bytes`},
		{"unset path", []string{"user", "set", "alice", "--unset-perm", "rel"}, `--unset-perm "rel": invalid virtual path`},
		{"group rule", []string{"group", "add", "g", "--perm", "/=reed"}, `--perm "/=reed": unknown right "reed"`},
		{"group unset", []string{"group", "set", "staff", "--unset-perm", "x"}, `--unset-perm "x"`},
		{"grant rights", []string{"share", "grant", "projects", "--user", "alice", "--at", "/p", "--perm", "fly"},
			`--perm "fly": unknown right "fly"`},
		{"grant path", []string{"share", "grant", "projects", "--user", "alice", "--at", "p", "--perm", "read"}, `--at "p": invalid virtual path`},
		{"grant limit", []string{"share", "grant", "projects", "--user", "alice", "--at", "/p", "--perm", "read", "--max-files", "x"},
			`--max-files "x"`},
		{"grant both", []string{"share", "grant", "projects", "--user", "alice", "--group", "staff", "--at", "/p", "--perm", "read"},
			"give either --user or --group, not both"},
		{"grant nobody", []string{"share", "grant", "projects", "--at", "/p", "--perm", "read"}, "give --user NAME or --group NAME"},
		{"grant at root", []string{"share", "grant", "projects", "--user", "alice", "--at", "/", "--perm", "read"},
			`--at "/": a share cannot be mounted at /`},
		{"grant without at", []string{"share", "grant", "projects", "--user", "alice", "--perm", "read"}, "--at /PATH is required"},
		{"grant without perm", []string{"share", "grant", "projects", "--user", "alice", "--at", "/p"}, "--perm RIGHTS is required"},
		{"revoke nobody", []string{"share", "revoke", "projects"}, "give --user NAME or --group NAME"},
		{"revoke path", []string{"share", "revoke", "projects", "--user", "alice", "--at", "rel"}, `--at "rel"`},
		{"share without path", []string{"share", "add", "docs"}, "--path DIR is required"},
		{"group nothing to set", []string{"group", "set", "staff"}, "nothing to change"},
		{"share nothing to set", []string{"share", "set", "projects"}, "nothing to change"},
	}
	for _, tt := range usage {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run(testPassword, tt.args...)
			if r.code != exitUsage || !strings.Contains(r.stderr, "bulwark: "+tt.want) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, exitUsage, tt.want)
			}
		})
	}

	notFound := []struct {
		name string
		args []string
		want string
	}{
		{"user add in unknown group", []string{"user", "add", "bob", "--password-stdin", "--group", "nosuch"}, `group "nosuch": not found`},
		{"group show", []string{"group", "show", "x"}, `group "x": not found`},
		{"group set", []string{"group", "set", "x", "--comment", "c"}, `group "x": not found`},
		{"group del", []string{"group", "del", "x", "--yes"}, `group "x": not found`},
		{"share show", []string{"share", "show", "x"}, `share "x": not found`},
		{"share set", []string{"share", "set", "x", "--comment", "c"}, `share "x": not found`},
		{"share del", []string{"share", "del", "x", "--yes"}, `share "x": not found`},
		{"grant unknown share", []string{"share", "grant", "x", "--user", "alice", "--at", "/p", "--perm", "read"}, `share "x": not found`},
		{"grant unknown user", []string{"share", "grant", "projects", "--user", "x", "--at", "/p", "--perm", "read"}, `user "x": not found`},
		{"grant unknown group", []string{"share", "grant", "projects", "--group", "x", "--at", "/p", "--perm", "read"}, `group "x": not found`},
		{"revoke without grant", []string{"share", "revoke", "projects", "--group", "staff"}, `share "projects": no grant to group:staff`},
	}
	for _, tt := range notFound {
		t.Run(tt.name, func(t *testing.T) {
			r := e.run(testPassword, tt.args...)
			if r.code != exitError || r.stderr != "bulwark: "+tt.want+"\n" {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, exitError, tt.want)
			}
		})
	}

	// Nothing above created bob.
	if r := e.run("", "user", "show", "bob"); r.code != exitError {
		t.Errorf("bob exists after failed adds: %s", r.stdout)
	}
}
