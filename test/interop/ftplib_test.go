package interop

import (
	"bufio"
	"encoding/json"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// ftplibScript is run by python3; its docstring documents the arguments and
// the output.
const ftplibScript = "testdata/ftplib_client.py"

// pyResult is one JSON line printed by the script.
type pyResult struct {
	Op            string   `json:"op"`
	OK            bool     `json:"ok"`
	Error         string   `json:"error"`
	Reply         string   `json:"reply"`
	TLSVersion    string   `json:"tls_version"`
	SessionReused *bool    `json:"session_reused"`
	Names         []string `json:"names"`
	Lines         []string `json:"lines"`
	Offset        int64    `json:"offset"`
}

// pyOptions choose how the script talks to the server.
type pyOptions struct {
	reuse  string // "session" (the fixed subclass) or "none" (stock FTP_TLS)
	tlsMax string // "1.2" or "1.3"
}

// runFtplib runs the script with ops (each an operation name and its
// arguments) and returns its results, the login first. It does not fail
// the test by itself when an operation fails.
func runFtplib(t *testing.T, f *fixture, m mode, o pyOptions, ops ...[]string) (runResult, []pyResult) {
	t.Helper()
	bin := needTool(t, "python3")
	args := []string{ftplibScript,
		"--host", "127.0.0.1", "--port", f.port(t, m), "--user", f.User,
		"--mode", m.name, "--reuse", o.reuse, "--tls-max", o.tlsMax, "--"}
	for _, op := range ops {
		b, err := json.Marshal(op)
		if err != nil {
			t.Fatal(err)
		}
		args = append(args, string(b))
	}
	env := []string{"BULWARK_FTP_PASSWORD=" + f.Password, "PYTHONDONTWRITEBYTECODE=1"}
	res := run(t, env, bin, args...)
	var out []pyResult
	sc := bufio.NewScanner(strings.NewReader(res.Stdout))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var r pyResult
		if err := json.Unmarshal(sc.Bytes(), &r); err != nil {
			t.Fatalf("script printed a line that is not JSON: %q", sc.Text())
		}
		out = append(out, r)
	}
	return res, out
}

// mustFtplib runs ops and fails the test unless all of them succeeded with
// data connections that resumed the control connection's TLS session.
func mustFtplib(t *testing.T, f *fixture, m mode, o pyOptions, ops ...[]string) []pyResult {
	t.Helper()
	res, out := runFtplib(t, f, m, o, ops...)
	if res.Err != nil || len(out) != len(ops)+1 {
		last := pyResult{}
		if len(out) > 0 {
			last = out[len(out)-1]
		}
		t.Fatalf("ftplib: %v; last result %+v\nstderr: %s", res.Err, last, tail(res.Stderr, 4000))
	}
	if want := "TLSv" + o.tlsMax; out[0].TLSVersion != want {
		t.Errorf("control connection negotiated %q, want %q", out[0].TLSVersion, want)
	}
	for _, r := range out[1:] {
		if isDataOp(r.Op) && (r.SessionReused == nil || !*r.SessionReused) {
			t.Errorf("%s: data connection did not resume the TLS session", r.Op)
		}
	}
	return out[1:]
}

func TestFtplib(t *testing.T) {
	for _, tlsMax := range []string{"1.3", "1.2"} {
		for _, m := range bothModes() {
			t.Run(m.name+"/TLS"+tlsMax, func(t *testing.T) {
				f := startServer(t)
				ftplibSession(t, f, m, pyOptions{reuse: "session", tlsMax: tlsMax})
			})
		}
	}
}

// ftplibSession uploads, downloads, lists, resumes both ways, renames,
// deletes and makes and removes a directory.
func ftplibSession(t *testing.T, f *fixture, m mode, o pyOptions) {
	local := t.TempDir()
	src := filepath.Join(local, "src.bin")
	sum := writeRandomFile(t, src, bigFileSize)
	down := filepath.Join(local, "down.bin")
	partial := filepath.Join(local, "partial.bin")
	writePrefix(t, src, partial, resumeCut)
	head := filepath.Join(local, "head.bin")
	writePrefix(t, src, head, resumeCut)

	out := mustFtplib(t, f, m, o,
		[]string{"mkd", "dir"},
		[]string{"put", src, "dir/file.bin"},
		[]string{"get", "dir/file.bin", down},
		[]string{"nlst", "dir"},
		[]string{"list", "dir"},
		[]string{"get_resume", "dir/file.bin", partial},
		[]string{"put", head, "resume.bin"},
		[]string{"put_resume", src, "resume.bin"},
	)
	wantSHA(t, "uploaded file on disk", filepath.Join(f.Home, "dir", "file.bin"), sum)
	wantSHA(t, "downloaded file", down, sum)
	if !hasName(out[3].Names, "file.bin") {
		t.Errorf("NLST dir lacks file.bin: %q", out[3].Names)
	}
	if !strings.Contains(strings.Join(out[4].Lines, "\n"), "file.bin") {
		t.Errorf("LIST dir lacks file.bin: %q", out[4].Lines)
	}
	if out[5].Offset != resumeCut {
		t.Errorf("download resumed at %d, want %d", out[5].Offset, resumeCut)
	}
	wantSHA(t, "resumed download", partial, sum)
	if out[7].Offset != resumeCut {
		t.Errorf("upload resumed at %d (remote SIZE), want %d", out[7].Offset, resumeCut)
	}
	wantSHA(t, "resumed upload on disk", filepath.Join(f.Home, "resume.bin"), sum)

	out = mustFtplib(t, f, m, o,
		[]string{"rename", "dir/file.bin", "dir/renamed.bin"},
		[]string{"nlst", "dir"},
		[]string{"delete", "dir/renamed.bin"},
		[]string{"mkd", "made"},
		[]string{"nlst", "/"},
		[]string{"rmd", "made"},
		[]string{"rmd", "dir"},
		[]string{"nlst", "/"},
	)
	if !hasName(out[1].Names, "renamed.bin") || hasName(out[1].Names, "file.bin") {
		t.Errorf("NLST after rename: %q", out[1].Names)
	}
	if !hasName(out[4].Names, "made") {
		t.Errorf("NLST / after MKD lacks made: %q", out[4].Names)
	}
	if hasName(out[7].Names, "made") || hasName(out[7].Names, "dir") {
		t.Errorf("NLST / after RMD still has made or dir: %q", out[7].Names)
	}
	wantExists(t, filepath.Join(f.Home, "dir"), false)
	wantExists(t, filepath.Join(f.Home, "made"), false)
	wantSHA(t, "untouched upload", filepath.Join(f.Home, "resume.bin"), sum)
}

// resumptionReason matches a refusal that says why: the data connection
// did not reuse the control connection's TLS session.
var resumptionReason = regexp.MustCompile(`(?i)^(425|522)\b.*(session|resum)`)

// TestFtplibStockRefused runs the unmodified ftplib.FTP_TLS, which makes a
// fresh TLS handshake on every data connection. Bulwark's default refuses
// such a data connection and says why in the reply.
func TestFtplibStockRefused(t *testing.T) {
	for _, tlsMax := range []string{"1.3", "1.2"} {
		for _, m := range bothModes() {
			t.Run(m.name+"/TLS"+tlsMax, func(t *testing.T) {
				f := startServer(t)
				o := pyOptions{reuse: "none", tlsMax: tlsMax}
				src := filepath.Join(t.TempDir(), "src.bin")
				writeRandomFile(t, src, 64<<10)
				for _, op := range [][]string{
					{"put", src, "refused.bin"},
					{"nlst", "/"},
				} {
					res, out := runFtplib(t, f, m, o, op)
					if len(out) != 2 || !out[0].OK {
						t.Fatalf("%s: want a login and one failed result, got %+v (%v)", op[0], out, res.Err)
					}
					r := out[1]
					if r.OK {
						t.Fatalf("%s with stock FTP_TLS succeeded; want the data connection refused", op[0])
					}
					if !resumptionReason.MatchString(r.Reply) {
						t.Errorf("%s: reply %q (error %q); want 425 or 522 naming the TLS session or its resumption", op[0], r.Reply, r.Error)
					}
				}
				wantExists(t, filepath.Join(f.Home, "refused.bin"), false)
			})
		}
	}
}

// isDataOp reports whether the script's operation op opens a data
// connection.
func isDataOp(op string) bool {
	switch op {
	case "put", "put_resume", "get", "get_resume", "nlst", "list":
		return true
	}
	return false
}

// hasName reports whether names holds name, bare or as the last element of
// a path.
func hasName(names []string, name string) bool {
	for _, n := range names {
		if n == name || path.Base(n) == name {
			return true
		}
	}
	return false
}
