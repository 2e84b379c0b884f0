// Command bench compares Bulwark with vsftpd, ProFTPD and Pure-FTPd on
// loopback and writes the results as JSON, docs/benchmarks.md and
// docs/benchmarks.png.
//
//	go run ./bench [-quick] [-out docs]
//
// It builds Bulwark, unpacks the other servers from their Debian packages
// when they are not installed, and needs root (for the system account the
// other servers log in).
package main

import (
	"crypto/x509"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"log"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

func main() {
	quick := flag.Bool("quick", false, "small sizes, for trying the harness out")
	out := flag.String("out", "docs", "directory for benchmarks.json, benchmarks.md and benchmarks.png")
	cache := flag.String("cache", filepath.Join("bench", ".cache"), "directory for downloaded packages")
	keep := flag.Bool("keep", false, "keep the temporary work directory (configurations and logs)")
	render := flag.Bool("render", false, "only rewrite benchmarks.md and benchmarks.png from the benchmarks.json in -out")
	only := flag.String("only", "", "run only the server of this name (e.g. Bulwark) and print its figures instead of writing -out")
	flag.Parse()
	log.SetFlags(log.Ltime)
	if *render {
		if err := rerender(*out); err != nil {
			log.Fatal(err)
		}
		return
	}
	if err := runBench(*quick, *out, *cache, *keep, *only); err != nil {
		log.Fatal(err)
	}
}

func runBench(quick bool, out, cache string, keep bool, only string) error {
	sz := fullSizes()
	if quick {
		sz = quickSizes()
	}
	raiseFileLimit()
	work, err := os.MkdirTemp("", "bulwark-bench-")
	if err != nil {
		return err
	}
	if keep {
		log.Printf("work directory: %s", work)
	} else {
		defer os.RemoveAll(work)
	}
	os.Chmod(work, 0o755) // the system account must reach its home below it
	pkgRoot, err := filepath.Abs(filepath.Join(cache, "root"))
	if err != nil {
		return err
	}
	e := &env{work: work, pkgRoot: pkgRoot, files: filepath.Join(work, "files"), sysHome: filepath.Join(work, "ftp-home")}

	log.Print("building bulwark")
	e.bulwark = filepath.Join(work, "bulwark")
	if b, err := exec.Command("go", "build", "-o", e.bulwark, "./cmd/bulwark").CombinedOutput(); err != nil {
		return fmt.Errorf("go build ./cmd/bulwark: %v: %s", err, b)
	}
	if e.cert, e.key, err = writeCert(work); err != nil {
		return err
	}
	log.Printf("writing test files (%d MiB file, %d files)", sz.BigFile>>20, sz.ListFiles)
	if err := writeTestFiles(e.files, sz); err != nil {
		return err
	}
	e.uid, e.gid, e.userErr = systemUser(e.sysHome)
	if e.userErr == nil {
		e.userErr = populateHome(e.files, e.sysHome, e.uid, e.gid)
	}
	roots := x509.NewCertPool()
	pemBytes, _ := os.ReadFile(e.cert)
	roots.AppendCertsFromPEM(pemBytes)

	res := &results{Date: time.Now().UTC().Format("2006-01-02"), Sizes: sz, Quick: quick, Machine: machineInfo()}
	block := randomBlock()
	for _, def := range servers() {
		if only != "" && !strings.EqualFold(only, def.Name) {
			continue
		}
		log.Printf("== %s", def.Name)
		res.Servers = append(res.Servers, benchServer(e, def, sz, roots, block))
	}
	if only != "" {
		if len(res.Servers) == 0 {
			return fmt.Errorf("-only %q: no such server", only)
		}
		j, _ := json.MarshalIndent(res.Servers, "", "  ")
		fmt.Printf("%s\n", j)
		return nil
	}
	if err := os.MkdirAll(out, 0o755); err != nil {
		return err
	}
	if err := writeResults(res, out); err != nil {
		return err
	}
	log.Printf("wrote %s", filepath.Join(out, "benchmarks.md"))
	return nil
}

// listenOverflows reads the kernel's count of connections dropped because
// a listen queue was full.
func listenOverflows() int64 {
	b, err := os.ReadFile("/proc/net/netstat")
	if err != nil {
		return 0
	}
	lines := strings.Split(string(b), "\n")
	for i := 0; i+1 < len(lines); i++ {
		if !strings.HasPrefix(lines[i], "TcpExt:") || !strings.HasPrefix(lines[i+1], "TcpExt:") {
			continue
		}
		names, values := strings.Fields(lines[i]), strings.Fields(lines[i+1])
		for j := range names {
			if names[j] == "ListenOverflows" && j < len(values) {
				v, _ := strconv.ParseInt(values[j], 10, 64)
				return v
			}
		}
	}
	return 0
}

func rerender(out string) error {
	b, err := os.ReadFile(filepath.Join(out, "benchmarks.json"))
	if err != nil {
		return err
	}
	var res results
	if err := json.Unmarshal(b, &res); err != nil {
		return err
	}
	return writeResults(&res, out)
}

func raiseFileLimit() {
	var l syscall.Rlimit
	if syscall.Getrlimit(syscall.RLIMIT_NOFILE, &l) == nil {
		l.Cur = l.Max
		syscall.Setrlimit(syscall.RLIMIT_NOFILE, &l)
	}
}

// benchServer runs every workload on one server; failures become notes.
func benchServer(e *env, def serverDef, sz sizes, roots *x509.CertPool, block []byte) serverResult {
	r := serverResult{Name: def.Name, Metrics: map[string]float64{}}
	if err := def.Prepare(e); err != nil {
		r.Missing = err.Error()
		log.Printf("%s missing: %v", def.Name, err)
		return r
	}
	r.Version = def.Version(e)
	p, err := def.Start(e, false)
	if err != nil {
		r.Missing = err.Error()
		log.Printf("%s missing: %v", def.Name, err)
		return r
	}
	c := &client{addr: p.addr, tls: true, roots: roots}
	note := func(what string, err error) bool {
		if err != nil {
			r.Notes = append(r.Notes, fmt.Sprintf("%s: %v", what, err))
			log.Printf("%s %s: %v", def.Name, what, err)
		}
		return err == nil
	}
	if st, err := c.tlsState(); note("TLS probe", err) {
		r.TLS = st
	}
	log.Printf("%s: FTPS transfer", def.Name)
	if down, up, err := c.transfer(sz.BigFile, block); note("FTPS transfer", err) {
		r.Metrics[mFTPSDown], r.Metrics[mFTPSUp] = down, up
	}
	log.Printf("%s: %d parallel downloads", def.Name, sz.Parallel)
	overflows := listenOverflows()
	d, failed, err := c.parallel(sz.Parallel, sz.MidFile)
	if failed < sz.Parallel {
		r.Metrics[mParallel] = d.Seconds()
	}
	if failed > 0 {
		r.Incomplete = append(r.Incomplete, mParallel)
		note("parallel downloads", fmt.Errorf("%d of %d clients failed (the kernel counted %d listen-queue overflows meanwhile), first error: %w",
			failed, sz.Parallel, listenOverflows()-overflows, err))
	}
	for _, verb := range []string{"LIST", "MLSD"} {
		d, n, lines, err := c.listing(verb)
		var te *textproto.Error
		if errors.As(err, &te) && (te.Code == 500 || te.Code == 502) {
			r.Unsupported = append(r.Unsupported, verb+"_s", verb+"_bytes")
			continue
		}
		if note(verb, err) {
			r.Metrics[verb+"_s"], r.Metrics[verb+"_bytes"], r.Metrics[verb+"_lines"] = d.Seconds(), float64(n), float64(lines)
		}
	}
	r.Curl = curlCheck(e, p.addr)
	log.Printf("%s: %d sessions", def.Name, sz.MaxIdle)
	// A failure part-way keeps the figures reached before it.
	s, err := c.sessions(sz.Logins, sz.MaxIdle, p.cmd.Process.Pid)
	note("sessions", err)
	r.Metrics[mRSSIdle] = mib(s.RSSIdle)
	if s.LoginTime > 0 {
		r.Metrics[mLogins] = s.LoginTime.Seconds()
		r.Metrics[mRSSLogins] = mib(s.RSSAtLogins)
	}
	if err == nil {
		r.Metrics[mRSSMax] = mib(s.RSSAtMax)
		r.Metrics[mPSSMax] = mib(s.PSSAtMax)
		r.ProcsAtMax = s.ProcsAtMax
	}
	if def.Name == "Bulwark" {
		log.Printf("%s: banned-source refusals", def.Name)
		if rate, err := banRefusals(e, p.addr); note("banned source", err) {
			r.Metrics[mBan] = rate
		}
	}
	p.stop()

	if def.Name == "Bulwark" {
		log.Printf("%s: logins with the password cache off", def.Name)
		p, err := bulwarkStartWith(e, bulwarkMode{noCache: true})
		if note("start with password cache off", err) {
			if s, err := c.sessions(sz.Logins, sz.Logins, p.cmd.Process.Pid); note("logins, password cache off", err) {
				r.Metrics[mLoginsNoCache] = s.LoginTime.Seconds()
			}
			p.stop()
		}

		log.Printf("%s: FTPS upload with server.fsync_uploads = false", def.Name)
		p, err = bulwarkStartWith(e, bulwarkMode{noFsync: true})
		if note("start with fsync_uploads = false", err) {
			if up, err := c.upload(sz.BigFile, block); note("FTPS upload, fsync_uploads = false", err) {
				r.Metrics[mFTPSUpNoFsync] = up
			}
			p.stop()
		}
	}

	log.Printf("%s: clear-text transfer", def.Name)
	p, err = def.Start(e, true)
	if note("clear-text start", err) {
		c := &client{addr: p.addr, tls: false, roots: roots}
		if down, up, err := c.transfer(sz.BigFile, block); note("clear-text transfer", err) {
			r.Metrics[mClearDown], r.Metrics[mClearUp] = down, up
		}
		p.stop()
	}
	if def.Name == "Bulwark" {
		log.Printf("%s: clear-text upload with server.fsync_uploads = false", def.Name)
		p, err = bulwarkStartWith(e, bulwarkMode{clear: true, noFsync: true})
		if note("clear-text start with fsync_uploads = false", err) {
			c := &client{addr: p.addr, tls: false, roots: roots}
			if up, err := c.upload(sz.BigFile, block); note("clear-text upload, fsync_uploads = false", err) {
				r.Metrics[mClearUpNoFsync] = up
			}
			p.stop()
		}
	}
	return r
}

func mib(b int64) float64 { return float64(b) / (1 << 20) }

func (c *client) listing(verb string) (time.Duration, int64, int, error) {
	s, err := c.raw()
	if err != nil {
		return 0, 0, 0, err
	}
	defer s.close()
	if err := s.login(); err != nil {
		return 0, 0, 0, err
	}
	start := time.Now()
	n, lines, err := s.list(verb, "many")
	return time.Since(start), n, lines, err
}

// banRefusals bans 127.0.0.2 through the CLI, waits until the running
// server refuses it, and measures refusals per second.
func banRefusals(e *env, addr string) (float64, error) {
	if err := bulwarkBan(e, "127.0.0.2"); err != nil {
		return 0, err
	}
	defer bulwarkUnban(e, "127.0.0.2")
	deadline := time.Now().Add(10 * time.Second)
	for {
		if _, err := hammer(addr, "127.0.0.2", 50*time.Millisecond, 1); err == nil {
			break
		}
		if time.Now().After(deadline) {
			return 0, fmt.Errorf("ban not applied within 10s")
		}
		time.Sleep(100 * time.Millisecond)
	}
	return hammer(addr, "127.0.0.2", 3*time.Second, 8)
}

// curlCheck downloads mid.bin once with curl over FTPS as a second client.
func curlCheck(e *env, addr string) string {
	out, err := exec.Command("curl", "-sS", "--ssl-reqd", "--cacert", e.cert,
		"-u", testUser+":"+testPassword, "-o", "/dev/null",
		"-w", "%{size_download} bytes, %{speed_download} B/s",
		"ftp://"+addr+"/mid.bin").CombinedOutput()
	if err != nil {
		return fmt.Sprintf("failed: %v %s", err, out)
	}
	return "ok: " + string(out)
}
