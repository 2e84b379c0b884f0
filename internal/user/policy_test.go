package user

import (
	"errors"
	"slices"
	"testing"
)

func TestParseRights(t *testing.T) {
	tests := []struct {
		in   string
		want Rights
		str  string
	}{
		{"all", RightsAll, "all"},
		{"none", RightsNone, "none"},
		{"read", RightList | RightDownload, "read"},
		{"write", RightUpload | RightOverwrite | RightAppend | RightMkdir, "write"},
		{"upload", RightUpload, "upload"},
		{" Read , UPLOAD ", RightList | RightDownload | RightUpload, "read,upload"},
		{"read,write,delete,rename,rmdir,chmod,mtime", RightsAll, "all"},
		{"none,list", RightList, "list"},
		{"download,upload", RightDownload | RightUpload, "download,upload"},
		{"read,write,delete", RightsRead | RightsWrite | RightDelete, "read,write,delete"},
	}
	for _, tt := range tests {
		got, err := ParseRights(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("ParseRights(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			continue
		}
		if got.String() != tt.str {
			t.Errorf("%q: String() = %q, want %q", tt.in, got.String(), tt.str)
		}
		back, err := ParseRights(got.String())
		if err != nil || back != got {
			t.Errorf("%q: String() does not round-trip: %v, %v", tt.in, back, err)
		}
	}
	for _, bad := range []string{"", "fly", "read,,upload", "read;upload"} {
		if _, err := ParseRights(bad); !errors.Is(err, ErrInvalidRights) {
			t.Errorf("ParseRights(%q) error = %v, want ErrInvalidRights", bad, err)
		}
	}
}

func TestDescribe(t *testing.T) {
	tests := map[Rights]string{
		RightUpload:              "upload only",
		RightsRead:               "read only",
		RightsNone:               "no access",
		RightsAll:                "full access",
		RightUpload | RightMkdir: "upload, mkdir",
		RightList:                "list only",
	}
	for r, want := range tests {
		if got := r.Describe(); got != want {
			t.Errorf("%v.Describe() = %q, want %q", r, got, want)
		}
	}
}

func TestParsePathRule(t *testing.T) {
	good := map[string]PathRule{
		"/=read":               {"/", RightsRead},
		"/incoming=upload":     {"/incoming", RightUpload},
		"/incoming/=upload":    {"/incoming", RightUpload},
		"/a//b=none":           {"/a/b", RightsNone},
		"/with space=download": {"/with space", RightDownload},
	}
	for in, want := range good {
		got, err := ParsePathRule(in)
		if err != nil || got != want {
			t.Errorf("ParsePathRule(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, bad := range []string{"incoming=upload", "/x", "/../etc=all", "/a/./b=read", "/x=fly", "/a\nb=read"} {
		if _, err := ParsePathRule(bad); err == nil {
			t.Errorf("ParsePathRule(%q) succeeded", bad)
		}
	}
}

func TestRulesSetUnset(t *testing.T) {
	var rs Rules
	rs = rs.Set(PathRule{"/b", RightsRead})
	rs = rs.Set(PathRule{"/", RightsAll})
	rs = rs.Set(PathRule{"/b", RightUpload})
	if len(rs) != 2 || rs[0].Path != "/" || rs[1] != (PathRule{"/b", RightUpload}) {
		t.Fatalf("Set: %v", rs)
	}
	rs = rs.Unset("/b")
	if len(rs) != 1 || rs[0].Path != "/" {
		t.Fatalf("Unset: %v", rs)
	}
}

func TestCovers(t *testing.T) {
	tests := []struct {
		rule, name string
		want       bool
	}{
		{"/", "/", true}, {"/", "/a", true}, {"/a", "/a", true}, {"/a", "/a/b", true},
		{"/a", "/ab", false}, {"/a/b", "/a", false}, {"/a", "/", false},
	}
	for _, tt := range tests {
		if got := Covers(tt.rule, tt.name); got != tt.want {
			t.Errorf("Covers(%q, %q) = %v", tt.rule, tt.name, got)
		}
	}
}

func rules(t *testing.T, specs ...string) Rules {
	t.Helper()
	var rs Rules
	for _, s := range specs {
		r, err := ParsePathRule(s)
		if err != nil {
			t.Fatal(err)
		}
		rs = rs.Set(r)
	}
	return rs
}

func TestPolicyRights(t *testing.T) {
	staff := &Group{Name: "staff", Perms: rules(t, "/=read", "/shared=read,upload")}
	ops := &Group{Name: "ops", Perms: rules(t, "/shared=delete", "/logs=read")}
	other := &Group{Name: "other", Perms: rules(t, "/=all")}
	projects := &Share{Name: "projects", Path: "/srv/projects"}
	archive := &Share{Name: "archive", Path: "/srv/archive"}
	grants := []Grant{
		{Share: "projects", Group: "staff", At: "/projects", Rights: RightsRead | RightUpload},
		{Share: "archive", User: "alice", At: "/archive", Rights: RightsRead},
		{Share: "archive", User: "bob", At: "/bobs-archive", Rights: RightsAll},
		{Share: "projects", Group: "other", At: "/p", Rights: RightsAll},
	}
	alice := &User{Name: "alice", Groups: []string{"staff", "ops"},
		Perms: rules(t, "/reports=all", "/shared=list")}
	partner := &User{Name: "partner", Perms: rules(t, "/=upload")}
	p := NewPolicy(alice, []*Group{staff, ops, other}, []*Share{projects, archive}, grants)
	pp := NewPolicy(partner, []*Group{staff, ops, other}, []*Share{projects, archive}, grants)

	tests := []struct {
		pol  *Policy
		path string
		want Rights
	}{
		{p, "/", RightsRead},                                          // group staff
		{p, "/file.txt", RightsRead},                                  // inherited from /
		{p, "/reports", RightsAll},                                    // own rule, longer path
		{p, "/reports/2026/q1.csv", RightsAll},                        // inherited from /reports
		{p, "/shared", RightList},                                     // own rule beats both groups at the same path
		{p, "/logs/x", RightsRead},                                    // group ops
		{p, "/projects/a", RightsRead | RightUpload},                  // group grant
		{p, "/archive", RightsRead},                                   // user grant
		{p, "/bobs-archive", RightsRead},                              // bob's grant does not apply; / applies
		{p, "/p", RightsRead},                                         // grant to a group alice is not in
		{pp, "/", RightUpload},                                        // partner: upload only
		{pp, "/deep/dir/f", RightUpload},                              // everywhere
		{pp, "/projects", RightUpload},                                // no grant for the partner
		{NewPolicy(&User{Name: "x"}, nil, nil, nil), "/", RightsNone}, // no rule, no rights
	}
	for _, tt := range tests {
		if got := tt.pol.Rights(tt.path); got != tt.want {
			r, _ := tt.pol.Rule(tt.path)
			t.Errorf("Rights(%q) = %v (rule %+v), want %v", tt.path, got, r, tt.want)
		}
	}

	// Groups at the same path add up.
	bob := &User{Name: "bob", Groups: []string{"staff", "ops"}}
	pb := NewPolicy(bob, []*Group{staff, ops}, nil, nil)
	if got, want := pb.Rights("/shared"), RightsRead|RightUpload|RightDelete; got != want {
		t.Errorf("union of groups at /shared = %v, want %v", got, want)
	}
	if r, _ := pb.Rule("/shared"); r.From != "group:ops+group:staff" {
		t.Errorf("From = %q", r.From)
	}
}

func TestPolicyMounts(t *testing.T) {
	projects := &Share{Name: "projects", Path: "/srv/projects"}
	archive := &Share{Name: "archive", Path: "/srv/archive"}
	u := &User{Name: "alice", Groups: []string{"staff"}, Perms: rules(t, "/=all", "/private=none")}
	staff := &Group{Name: "staff"}
	p := NewPolicy(u, []*Group{staff}, []*Share{projects, archive}, []Grant{
		{Share: "projects", Group: "staff", At: "/work/projects", Rights: RightsRead},
		{Share: "archive", User: "alice", At: "/work/projects", Rights: RightsAll}, // user grant wins the mount
		{Share: "archive", User: "alice", At: "/old", Rights: RightsRead, Limits: Limits{MaxBytes: 10}},
	})
	m, rel, ok := p.Mount("/work/projects/a/b.txt")
	if !ok || m.Share != "archive" || rel != "a/b.txt" || m.HostPath != "/srv/archive" {
		t.Errorf("Mount = %+v %q %v", m, rel, ok)
	}
	if got := p.Rights("/work/projects/x"); got != RightsAll {
		t.Errorf("rights in user-granted mount = %v", got)
	}
	if m, rel, ok := p.Mount("/old"); !ok || rel != "." || m.Limits.MaxBytes != 10 {
		t.Errorf("Mount(/old) = %+v %q %v", m, rel, ok)
	}
	if _, _, ok := p.Mount("/work"); ok {
		t.Error("/work is not inside a mount")
	}
	if got := p.MountPointsBelow("/"); !slices.Equal(got, []string{"old", "work"}) {
		t.Errorf("MountPointsBelow(/) = %v", got)
	}
	if got := p.MountPointsBelow("/work"); !slices.Equal(got, []string{"projects"}) {
		t.Errorf("MountPointsBelow(/work) = %v", got)
	}
	if !p.IsMountPath("/work") || !p.IsMountPath("/work/projects") || p.IsMountPath("/work/projects/a") || p.IsMountPath("/other") {
		t.Error("IsMountPath wrong")
	}
	if p.Reachable("/private") || p.Reachable("/private/x") || !p.Reachable("/work") {
		t.Error("Reachable wrong")
	}
	up := NewPolicy(&User{Name: "u", Perms: rules(t, "/=none", "/in/box=upload")}, nil, nil, nil)
	if !up.Reachable("/") || !up.Reachable("/in") || up.Reachable("/out") {
		t.Error("Reachable must lead to /in/box through / and /in only")
	}
	if len(p.Effective()) == 0 || p.Effective()[0].Path != "/" {
		t.Errorf("Effective() = %v", p.Effective())
	}
}
