package password

import (
	"errors"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/user"
)

func TestPresets(t *testing.T) {
	d := DefaultPolicy()
	wantDefault := Policy{
		MinLength: 8, MaxLength: 128,
		RequireUpper: true, RequireLower: true, RequireDigit: true,
		RejectUserName: true, MinScore: 3,
		MaxAge: 90 * 24 * time.Hour, MinAge: 24 * time.Hour, WarnPeriod: 14 * 24 * time.Hour,
		History: 5,
	}
	if !reflect.DeepEqual(d, wantDefault) {
		t.Errorf("DefaultPolicy = %+v", d)
	}
	n := NISTPolicy()
	wantNIST := Policy{MinLength: 15, MaxLength: 128, RejectUserName: true, MinScore: 3}
	if !reflect.DeepEqual(n, wantNIST) {
		t.Errorf("NISTPolicy = %+v", n)
	}
	if n.MaxLength < 64 {
		t.Error("NIST policy must permit at least 64 characters")
	}
	for _, p := range []Policy{d, n} {
		if err := p.Validate(); err != nil {
			t.Errorf("%+v: %v", p, err)
		}
	}
}

func TestPolicyValidate(t *testing.T) {
	tests := []struct {
		name   string
		mutate func(*Policy)
		want   string // "" = valid
	}{
		{"default", func(*Policy) {}, ""},
		{"min length 0", func(p *Policy) { p.MinLength = 0 }, "minimum length"},
		{"min length too big", func(p *Policy) { p.MinLength, p.MaxLength = MinLengthLimit+1, MaxLengthLimit }, "minimum length"},
		{"max below min", func(p *Policy) { p.MaxLength = 7 }, "maximum length"},
		{"max equals min", func(p *Policy) { p.MaxLength = 8 }, ""},
		{"max too big", func(p *Policy) { p.MaxLength = MaxLengthLimit + 1 }, "maximum length"},
		{"score -1", func(p *Policy) { p.MinScore = -1 }, "minimum score"},
		{"score 5", func(p *Policy) { p.MinScore = 5 }, "minimum score"},
		{"score 0", func(p *Policy) { p.MinScore = 0 }, ""},
		{"negative age", func(p *Policy) { p.MinAge = -time.Second }, "negative"},
		{"warn equals max age", func(p *Policy) { p.WarnPeriod = p.MaxAge }, "warning period"},
		{"min age equals max age", func(p *Policy) { p.MinAge = p.MaxAge }, "minimum age"},
		{"no expiry, warn set", func(p *Policy) { p.MaxAge = 0 }, ""},
		{"history -1", func(p *Policy) { p.History = -1 }, "history"},
		{"history 25", func(p *Policy) { p.History = HistoryLimit + 1 }, "history"},
	}
	for _, tt := range tests {
		p := DefaultPolicy()
		tt.mutate(&p)
		err := p.Validate()
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("%s: %v", tt.name, err)
		case tt.want != "" && (err == nil || !strings.Contains(err.Error(), tt.want)):
			t.Errorf("%s: error %v, want one about %q", tt.name, err, tt.want)
		}
	}
}

func failures(err error) []string {
	if err == nil {
		return nil
	}
	var pe *PolicyError
	if !errors.As(err, &pe) {
		return []string{"not a *PolicyError: " + err.Error()}
	}
	return pe.Failures
}

// TestCheckRules checks each rule alone, with the estimator off so that
// the expected failures are exact.
func TestCheckRules(t *testing.T) {
	all := Policy{
		MinLength: 5, MaxLength: 12,
		RequireUpper: true, RequireLower: true, RequireDigit: true, RequireSymbol: true,
		RejectUserName: true,
		Blocklist:      NewBlocklist([]string{"Forbid-D1git"}),
	}
	tests := []struct {
		name, pw, user string
		want           []string
	}{
		{"all classes", "Ab1-x", "bob", nil},
		{"too short", "Ab1-", "bob", []string{"must be at least 5 characters"}},
		{"too long", "Ab1-xxxxxxxxx", "bob", []string{"must be at most 12 characters"}},
		{"no upper", "ab1-x", "bob", []string{"needs an uppercase letter"}},
		{"no lower", "AB1-X", "bob", []string{"needs a lowercase letter"}},
		{"no digit", "Abc-x", "bob", []string{"needs a digit"}},
		{"no symbol", "Ab1xx", "bob", []string{"needs a symbol"}},
		{"space is no symbol", "Ab1 x", "bob", []string{"needs a symbol"}},
		{"unicode symbol", "Ab1€x", "bob", nil},
		{"non-ASCII letters", "Éé1-x", "bob", nil},
		{"user name", "xBob1-", "bob", []string{"must not contain the user name"}},
		{"user name any case", "b1-ALICE", "alice", []string{"must not contain the user name"}},
		{"short user name ignored", "Al1-x", "al", nil},
		{"no user name", "Ab1-x", "", nil},
		{"blocklisted, other case", "forbid-d1GIT", "bob", []string{"is on the list of forbidden passwords"}},
		{"several at once", "abc", "bob", []string{
			"must be at least 5 characters", "needs an uppercase letter", "needs a digit", "needs a symbol"}},
	}
	for _, tt := range tests {
		got := failures(all.Check(tt.pw, tt.user))
		if !slices.Equal(got, tt.want) {
			t.Errorf("%s: Check(%q, %q) = %q, want %q", tt.name, tt.pw, tt.user, got, tt.want)
		}
	}
	// Rules that are off refuse nothing.
	if err := (Policy{MinLength: 1, MaxLength: 10}).Check("x", "x"); err != nil {
		t.Errorf("empty policy: %v", err)
	}
}

func TestCheckCountsCharactersNotBytes(t *testing.T) {
	p := Policy{MinLength: 5, MaxLength: 5}
	for _, pw := range []string{"ééééé", "日本語です", "🔑🔑🔑🔑🔑"} {
		if err := p.Check(pw, ""); err != nil {
			t.Errorf("Check(%q): %v", pw, err)
		}
	}
	if got := failures(p.Check("éééééé", "")); !slices.Equal(got, []string{"must be at most 5 characters"}) {
		t.Errorf("six characters: %q", got)
	}
}

func TestCheckEstimator(t *testing.T) {
	p := Policy{MinLength: 1, MaxLength: 128, MinScore: 3}
	tests := []struct{ pw, user, reason string }{
		{"password", "", "it is a common password"},
		{"Password1", "", "it is a common password"},
		{"P@ssw0rd!", "", "it is a common password"},
		{"battery", "", "it is a common word or name"},
		{"zxcvbnm,./", "", "it contains a keyboard pattern"},
		{"aaaaaaaaaa", "", "it repeats characters"},
		{"abcdefghij", "", "it is a sequence"},
		{"25/12/1987", "", "it is a date"},
		{"Xq7", "", "it could be guessed quickly"},
		{"smith2024", "alice.smith", "it is based on the user name"},
	}
	for _, tt := range tests {
		got := failures(p.Check(tt.pw, tt.user))
		want := []string{"too easy to guess: " + tt.reason}
		if !slices.Equal(got, want) {
			t.Errorf("Check(%q) = %q, want %q", tt.pw, got, want)
		}
	}
	for _, pw := range []string{"Kq8#pR2vZw-fT4", "correct horse battery staple"} {
		if err := p.Check(pw, "alice"); err != nil {
			t.Errorf("Check(%q): %v", pw, err)
		}
	}
	// The estimator reads the first 64 characters only.
	if got := failures(p.Check(strings.Repeat("a", 70)+"Kq8#pR2vZw-fT4", "")); !slices.Equal(got, []string{"too easy to guess: it repeats characters"}) {
		t.Errorf("weak start: %q", got)
	}
	// MinScore 0 turns the estimator off.
	if err := (Policy{MinLength: 1, MaxLength: 10}).Check("password", ""); err != nil {
		t.Errorf("estimator off: %v", err)
	}
}

// A password too long is refused for its length alone: the estimator,
// whose cost grows steeply with length, does not run.
func TestCheckTooLongSkipsEstimator(t *testing.T) {
	p := Policy{MinLength: 1, MaxLength: 10, MinScore: 3}
	got := failures(p.Check(strings.Repeat("a", 11), ""))
	if !slices.Equal(got, []string{"must be at most 10 characters"}) {
		t.Errorf("got %q", got)
	}
}

func TestDefaultPolicyCheck(t *testing.T) {
	p := DefaultPolicy()
	err := p.Check("Password1", "bob")
	if got := failures(err); !slices.Equal(got, []string{"too easy to guess: it is a common password"}) {
		t.Errorf("Password1: %q", got)
	}
	err = p.Check("abc", "bob")
	want := "password refused: must be at least 8 characters; needs an uppercase letter; needs a digit; too easy to guess: it is a sequence"
	if err == nil || err.Error() != want {
		t.Errorf("abc: %v\nwant %s", err, want)
	}
	for range 20 {
		pw, err := Generate(40)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Check(pw, "bob"); err != nil {
			t.Errorf("random %q: %v", pw, err)
		}
	}
	if got := failures(p.Check("Zq8vRt-Alice-93kW", "alice")); !slices.Equal(got, []string{"must not contain the user name"}) {
		t.Errorf("user name: %q", got)
	}
}

func TestNISTPolicyCheck(t *testing.T) {
	p := NISTPolicy()
	// No composition rules: a long lower-case passphrase is fine.
	if err := p.Check("purple otters juggle quietly", "bob"); err != nil {
		t.Errorf("passphrase: %v", err)
	}
	if got := failures(p.Check("Kq8#pR2vZw-fT4", "bob")); !slices.Equal(got, []string{"must be at least 15 characters"}) {
		t.Errorf("14 characters: %q", got)
	}
	if err := p.Check("passwordpassword", "bob"); err == nil {
		t.Error("repeated common password accepted")
	}
	if got := failures(p.Check("robertsmith-q8Z#vRw2", "robertsmith")); !slices.Contains(got, "must not contain the user name") {
		t.Errorf("user name: %q", got)
	}
}

func intp(n int) *int    { return &n }
func boolp(b bool) *bool { return &b }

func TestApply(t *testing.T) {
	base := DefaultPolicy()
	d := 24 * time.Hour
	tests := []struct {
		name   string
		groups []user.PasswordRules
		want   func(*Policy)
	}{
		{"no groups", nil, func(*Policy) {}},
		{"empty rules", []user.PasswordRules{{}, {}}, func(*Policy) {}},
		{"one group loosens", []user.PasswordRules{{
			MinLength: intp(6), RequireDigit: boolp(false), MinScore: intp(1), MaxAgeDays: intp(0), History: intp(0),
		}}, func(p *Policy) {
			p.MinLength, p.RequireDigit, p.MinScore, p.MaxAge, p.History = 6, false, 1, 0, 0
		}},
		{"one group tightens", []user.PasswordRules{{
			MinLength: intp(12), MaxLength: intp(64), RequireSymbol: boolp(true), MinScore: intp(4),
			MaxAgeDays: intp(30), MinAgeDays: intp(2), WarnDays: intp(7), History: intp(10),
		}}, func(p *Policy) {
			p.MinLength, p.MaxLength, p.RequireSymbol, p.MinScore = 12, 64, true, 4
			p.MaxAge, p.MinAge, p.WarnPeriod, p.History = 30*d, 2*d, 7*d, 10
		}},
		{"strictest of several", []user.PasswordRules{
			{MinLength: intp(10), MaxLength: intp(200), RequireUpper: boolp(false), MaxAgeDays: intp(0), WarnDays: intp(3), History: intp(2)},
			{MinLength: intp(14), MaxLength: intp(100), RequireUpper: boolp(true), MaxAgeDays: intp(60), MinAgeDays: intp(3), History: intp(8)},
			{MinLength: intp(12), RequireLower: boolp(false), MaxAgeDays: intp(45), WarnDays: intp(10), MinScore: intp(2)},
		}, func(p *Policy) {
			p.MinLength, p.MaxLength = 14, 100
			p.RequireUpper, p.RequireLower = true, false
			p.MaxAge, p.MinAge, p.WarnPeriod = 45*d, 3*d, 10*d
			p.MinScore, p.History = 2, 8
		}},
		{"max length below the min length is skipped", []user.PasswordRules{
			{MinLength: intp(20), MaxLength: intp(16)},
			{MaxLength: intp(40)},
		}, func(p *Policy) { p.MinLength, p.MaxLength = 20, 40 }},
		{"every max length below the min length", []user.PasswordRules{
			{MinLength: intp(30), MaxLength: intp(16)},
		}, func(p *Policy) { p.MinLength, p.MaxLength = 30, 30 }},
		{"min length above the server's max", []user.PasswordRules{{MinLength: intp(200)}},
			func(p *Policy) { p.MinLength, p.MaxLength = 200, 200 }},
		{"all groups never expire", []user.PasswordRules{{MaxAgeDays: intp(0)}, {MaxAgeDays: intp(0)}},
			func(p *Policy) { p.MaxAge = 0 }},
		{"out of range values are clamped", []user.PasswordRules{
			{MinScore: intp(9), MaxAgeDays: intp(-5), MinAgeDays: intp(MaxDays + 1), History: intp(99)},
		}, func(p *Policy) { p.MinScore, p.MaxAge, p.MinAge, p.History = MaxScore, 0, MaxDays*d, HistoryLimit }},
	}
	for _, tt := range tests {
		want := base
		tt.want(&want)
		if got := base.Apply(tt.groups...); !reflect.DeepEqual(got, want) {
			t.Errorf("%s:\n got %+v\nwant %+v", tt.name, got, want)
		}
	}
	// Apply keeps what groups cannot set.
	bl := NewBlocklist([]string{"x"})
	p := Policy{MinLength: 8, MaxLength: 64, RejectUserName: true, Blocklist: bl}
	if got := p.Apply(user.PasswordRules{MinLength: intp(9)}); !got.RejectUserName || got.Blocklist != bl {
		t.Errorf("Apply dropped RejectUserName or Blocklist: %+v", got)
	}
}

func TestPolicyGenerate(t *testing.T) {
	tests := []struct {
		name string
		p    Policy
		n    int
	}{
		{"default", DefaultPolicy(), 20},
		{"nist", NISTPolicy(), 20},
		{"long minimum", Policy{MinLength: 40, MaxLength: 64, RequireDigit: true, MinScore: 4}, 40},
		{"short maximum", Policy{MinLength: 8, MaxLength: 16, RequireUpper: true}, 16},
		{"symbol", Policy{MinLength: 8, MaxLength: 128, RequireSymbol: true, RequireDigit: true, MinScore: 3}, 20},
	}
	for _, tt := range tests {
		for range 10 {
			pw, err := tt.p.Generate()
			if err != nil {
				t.Fatalf("%s: %v", tt.name, err)
			}
			if len(pw) != tt.n {
				t.Errorf("%s: %q has %d characters, want %d", tt.name, pw, len(pw), tt.n)
			}
			if err := tt.p.Check(pw, ""); err != nil {
				t.Errorf("%s: %q: %v", tt.name, pw, err)
			}
		}
	}
	// A policy no random password can meet fails instead of looping.
	impossible := Policy{MinLength: 2, MaxLength: 2, RequireUpper: true, RequireLower: true, RequireDigit: true}
	if pw, err := impossible.Generate(); err == nil {
		t.Errorf("impossible policy gave %q", pw)
	}
}

func BenchmarkCheck128(b *testing.B) {
	p := DefaultPolicy()
	pw, err := Generate(128)
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if err := p.Check(pw, "alice"); err != nil {
			b.Fatal(err)
		}
	}
}

func FuzzCheck(f *testing.F) {
	for _, s := range []string{"", "Password1", "ééé", "\xff\xfe", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", "alice2024!"} {
		f.Add(s, "alice")
	}
	p := DefaultPolicy()
	f.Fuzz(func(t *testing.T, pw, name string) {
		err := p.Check(pw, name)
		if err == nil {
			return
		}
		var pe *PolicyError
		if !errors.As(err, &pe) || len(pe.Failures) == 0 {
			t.Fatalf("Check(%q, %q) = %v", pw, name, err)
		}
	})
}
