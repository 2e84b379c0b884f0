package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/netip"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/crypto/bcrypt"

	"github.com/bulwark-ftp/bulwark/internal/password"
	"github.com/bulwark-ftp/bulwark/internal/store/sqlite"
	"github.com/bulwark-ftp/bulwark/internal/testutil"
	"github.com/bulwark-ftp/bulwark/internal/user"
)

var fastParams = password.Params{Memory: 64, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}

const delay = 3 * time.Second

// syncBuffer lets the log be read while logins run.
type syncBuffer = testutil.Buffer

type fixture struct {
	p      *Pipeline
	store  *sqlite.Store
	logs   *syncBuffer
	mu     sync.Mutex
	sleeps []time.Duration
}

func (f *fixture) slept() []time.Duration {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]time.Duration(nil), f.sleeps...)
}

var clock = time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)

func newFixture(t *testing.T) *fixture {
	t.Helper()
	s, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "users.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	f := &fixture{store: s, logs: &syncBuffer{}}
	f.p = &Pipeline{
		Store:        s,
		Hasher:       &password.Hasher{Params: fastParams},
		FailureDelay: delay,
		Sleep: func(ctx context.Context, d time.Duration) error {
			f.mu.Lock()
			defer f.mu.Unlock()
			f.sleeps = append(f.sleeps, d)
			return nil
		},
		Now:    func() time.Time { return clock },
		Logger: slog.New(slog.NewJSONHandler(f.logs, &slog.HandlerOptions{Level: slog.LevelDebug})),
	}
	return f
}

func (f *fixture) addUser(t *testing.T, u *user.User, pw string) {
	t.Helper()
	if u.PasswordHash == "" {
		h, err := f.p.Hasher.Hash(pw)
		if err != nil {
			t.Fatal(err)
		}
		u.PasswordHash = h
	}
	if err := f.store.CreateUser(context.Background(), u); err != nil {
		t.Fatal(err)
	}
}

func attempt(name, pw string) Attempt {
	return Attempt{SessionID: "s1", Remote: netip.MustParseAddrPort("127.0.0.2:40000"), User: name, Password: pw, TLS: true}
}

func TestLoginSuccess(t *testing.T) {
	f := newFixture(t)
	f.addUser(t, &user.User{Name: "Alice"}, "right horse")
	u, err := f.p.Login(context.Background(), attempt("alice", "right horse"))
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if u.Name != "Alice" || !u.LastLogin.Equal(clock) {
		t.Fatalf("Login returned %+v", u)
	}
	stored, _ := f.store.GetUser(context.Background(), "alice")
	if !stored.LastLogin.Equal(clock) {
		t.Fatalf("LastLogin not recorded: %v", stored.LastLogin)
	}
	if len(f.slept()) != 0 {
		t.Fatalf("success slept %v", f.slept())
	}
	if strings.Contains(f.logs.String(), "password hash upgraded") {
		t.Fatal("current hash was upgraded")
	}
}

func TestLoginFailures(t *testing.T) {
	f := newFixture(t)
	f.addUser(t, &user.User{Name: "bob"}, "bobs secret")
	f.addUser(t, &user.User{Name: "carol", Disabled: true}, "carols secret")
	f.addUser(t, &user.User{Name: "dave", RequireTLS: true}, "daves secret")
	f.addUser(t, &user.User{Name: "erin", PasswordHash: "$1$md5$notsupported"}, "")

	clear := attempt("dave", "daves secret")
	clear.TLS = false
	tests := []struct {
		name string
		a    Attempt
		want Reason
	}{
		{"unknown user", attempt("mallory", "bobs secret"), ReasonUnknownUser},
		{"wrong password", attempt("bob", "guess"), ReasonBadPassword},
		{"disabled, right password", attempt("carol", "carols secret"), ReasonDisabled},
		{"disabled, wrong password", attempt("carol", "guess"), ReasonBadPassword},
		{"invalid name", attempt("../etc", "x"), ReasonInvalidName},
		{"empty name", attempt("", "x"), ReasonInvalidName},
		{"tls required", clear, ReasonTLSRequired},
		{"unreadable hash", attempt("erin", "x"), ReasonStoreError},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			before := len(f.slept())
			u, err := f.p.Login(context.Background(), tt.a)
			if u != nil || !errors.Is(err, ErrLoginFailed) {
				t.Fatalf("Login = %v, %v; want ErrLoginFailed", u, err)
			}
			var fe *FailureError
			if !errors.As(err, &fe) || fe.Reason != tt.want || fe.User != tt.a.User {
				t.Fatalf("error %#v, want reason %v", err, tt.want)
			}
			if got := f.slept()[before:]; len(got) != 1 || got[0] != delay {
				t.Fatalf("slept %v, want exactly [%v]", got, delay)
			}
		})
	}
	logs := f.logs.String()
	for _, pw := range []string{"bobs secret", "carols secret", "daves secret", "guess"} {
		if strings.Contains(logs, pw) {
			t.Errorf("log contains password %q", pw)
		}
	}
	if n := strings.Count(logs, `"msg":"authentication failed"`); n != len(tests) {
		t.Errorf("%d \"authentication failed\" records, want %d", n, len(tests))
	}
	for _, want := range []string{`"reason":"unknown_user"`, `"reason":"bad_password"`, `"remote":"127.0.0.2:40000"`, `"level":"DEBUG"`} {
		if !strings.Contains(logs, want) {
			t.Errorf("log lacks %s", want)
		}
	}
	// Refused accounts were not recorded as logged in.
	for _, name := range []string{"carol", "dave"} {
		if u, _ := f.store.GetUser(context.Background(), name); !u.LastLogin.IsZero() {
			t.Errorf("%s: refused login recorded", name)
		}
	}
}

func TestRequireTLSOverTLS(t *testing.T) {
	f := newFixture(t)
	f.addUser(t, &user.User{Name: "dave", RequireTLS: true}, "daves secret")
	if _, err := f.p.Login(context.Background(), attempt("dave", "daves secret")); err != nil {
		t.Fatalf("Login over TLS: %v", err)
	}
}

func TestLegacyHashesUpgraded(t *testing.T) {
	bc, err := bcrypt.GenerateFromPassword([]byte("bcrypt pw"), bcrypt.MinCost)
	if err != nil {
		t.Fatal(err)
	}
	oldArgon, err := (&password.Hasher{Params: password.Params{Memory: 32, Iterations: 1, Parallelism: 1, SaltLen: 16, KeyLen: 32}}).Hash("argon pw")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, hash, pw string
	}{
		{"bcrypt", string(bc), "bcrypt pw"},
		// From the SHA-crypt specification's test vectors.
		{"sha512-crypt", "$6$saltstring$svn8UoSVapNtMuq1ukKS4tPQd8iKwSMHWjl/O817G3uBnIFNjnQJuesI68u4OTLiBFdcbYEdFCoEOfaS35inz1", "Hello world!"},
		{"sha512-crypt rounds", "$6$rounds=1400$anotherlongsalts$POfYwTEok97VWcjxIiSOjiykti.o/pQs.wPvMxQ6Fm7I6IoYN3CmLs66x9t0oSwbtEW7o7UmJEiDwGqd8p4ur1", "a very much longer text to encrypt.  This one even stretches over morethan one line."},
		{"argon2id old params", oldArgon, "argon pw"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := newFixture(t)
			f.addUser(t, &user.User{Name: "legacy", PasswordHash: tt.hash}, "")
			u, err := f.p.Login(context.Background(), attempt("legacy", tt.pw))
			if err != nil {
				t.Fatalf("Login: %v", err)
			}
			stored, _ := f.store.GetUser(context.Background(), "legacy")
			if stored.PasswordHash == tt.hash || !strings.HasPrefix(stored.PasswordHash, "$argon2id$v=19$m=64,t=1,p=1$") {
				t.Fatalf("hash not upgraded: %q", stored.PasswordHash)
			}
			if u.PasswordHash != stored.PasswordHash {
				t.Errorf("returned user has the old hash")
			}
			if ok, rehash, err := f.p.Hasher.Verify(stored.PasswordHash, tt.pw); !ok || rehash || err != nil {
				t.Fatalf("upgraded hash: Verify = %v, %v, %v", ok, rehash, err)
			}
			if !strings.Contains(f.logs.String(), "password hash upgraded") {
				t.Error("upgrade not logged")
			}
			// The next login works with the new hash and changes nothing.
			if _, err := f.p.Login(context.Background(), attempt("legacy", tt.pw)); err != nil {
				t.Fatalf("second Login: %v", err)
			}
			again, _ := f.store.GetUser(context.Background(), "legacy")
			if again.PasswordHash != stored.PasswordHash {
				t.Error("current hash was replaced again")
			}
		})
	}
}

func TestStoreErrorIsFailure(t *testing.T) {
	f := newFixture(t)
	f.addUser(t, &user.User{Name: "bob"}, "bobs secret")
	f.store.Close()
	_, err := f.p.Login(context.Background(), attempt("bob", "bobs secret"))
	var fe *FailureError
	if !errors.As(err, &fe) || fe.Reason != ReasonStoreError || !errors.Is(err, ErrLoginFailed) {
		t.Fatalf("Login with closed store = %v", err)
	}
	if !strings.Contains(f.logs.String(), `"level":"ERROR"`) {
		t.Error("store error not logged at error level")
	}
	if got := f.slept(); len(got) != 1 || got[0] != delay {
		t.Errorf("slept %v", got)
	}
}

// cancelOn cancels a context when a record with a given message is logged,
// which is how the test knows Login has reached its delay.
type cancelOn struct {
	slog.Handler
	msg    string
	cancel context.CancelFunc
}

func (h cancelOn) Handle(ctx context.Context, r slog.Record) error {
	if r.Message == h.msg {
		h.cancel()
	}
	return nil
}

func (cancelOn) Enabled(context.Context, slog.Level) bool { return true }

func (h cancelOn) WithAttrs([]slog.Attr) slog.Handler { return h }

func TestCancelEndsDelay(t *testing.T) {
	f := newFixture(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	f.p.Sleep = nil // the real timer
	f.p.FailureDelay = time.Hour
	f.p.Logger = slog.New(cancelOn{Handler: slog.DiscardHandler, msg: "authentication failed", cancel: cancel})

	done := make(chan error, 1)
	go func() {
		_, err := f.p.Login(ctx, attempt("nobody", "x"))
		done <- err
	}()
	select {
	case err := <-done:
		if !errors.Is(err, ErrLoginFailed) {
			t.Fatalf("Login = %v", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("Login did not return after its context was cancelled")
	}
}

func TestFailureBlocksOnlyItsCall(t *testing.T) {
	f := newFixture(t)
	f.addUser(t, &user.User{Name: "bob"}, "bobs secret")
	entered, release := make(chan struct{}), make(chan struct{})
	f.p.Sleep = func(ctx context.Context, d time.Duration) error {
		close(entered)
		<-release
		return nil
	}
	failed := make(chan error, 1)
	go func() {
		_, err := f.p.Login(context.Background(), attempt("bob", "wrong"))
		failed <- err
	}()
	<-entered
	// The failed attempt is still in its delay; another login goes through.
	if _, err := f.p.Login(context.Background(), attempt("bob", "bobs secret")); err != nil {
		t.Fatalf("Login during another's delay: %v", err)
	}
	close(release)
	if err := <-failed; !errors.Is(err, ErrLoginFailed) {
		t.Fatalf("failed login = %v", err)
	}
}

func TestZeroDelayUsesDefault(t *testing.T) {
	f := newFixture(t)
	f.p.FailureDelay = 0
	f.p.Login(context.Background(), attempt("nobody", "x"))
	if got := f.slept(); len(got) != 1 || got[0] != DefaultFailureDelay {
		t.Fatalf("slept %v, want [%v]", got, DefaultFailureDelay)
	}
	f.p.FailureDelay = -1
	f.p.Login(context.Background(), attempt("nobody", "x"))
	if got := f.slept(); len(got) != 1 {
		t.Fatalf("negative delay slept: %v", got)
	}
}

func TestReasonString(t *testing.T) {
	tests := map[Reason]string{
		ReasonUnknownUser: "unknown_user", ReasonBadPassword: "bad_password", ReasonDisabled: "disabled",
		ReasonInvalidName: "invalid_name", ReasonStoreError: "store_error", ReasonTLSRequired: "tls_required",
		Reason(0): "reason(0)",
	}
	for r, want := range tests {
		if r.String() != want {
			t.Errorf("%d.String() = %q, want %q", int(r), r.String(), want)
		}
	}
}

func TestSleepCtx(t *testing.T) {
	if err := sleepCtx(context.Background(), time.Millisecond); err != nil {
		t.Fatalf("uncancelled sleep: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- sleepCtx(ctx, time.Hour) }()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("sleepCtx = %v, want context.Canceled", err)
		}
	case <-time.After(30 * time.Second):
		t.Fatal("sleepCtx ignored cancellation")
	}
}
