package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// Metric keys of serverResult.Metrics.
const (
	mFTPSDown       = "ftps_download_MBps"
	mFTPSUp         = "ftps_upload_MBps"
	mFTPSUpNoFsync  = "ftps_upload_no_fsync_MBps"
	mClearDown      = "clear_download_MBps"
	mClearUp        = "clear_upload_MBps"
	mClearUpNoFsync = "clear_upload_no_fsync_MBps"
	mParallel       = "parallel_downloads_s"
	mLogins         = "sequential_logins_s"
	mLoginsNoCache  = "sequential_logins_no_cache_s"
	mRSSIdle        = "rss_idle_MiB"
	mRSSLogins      = "rss_logins_MiB"
	mRSSMax         = "rss_max_MiB"
	mPSSMax         = "pss_max_MiB"
	mBan            = "banned_refusals_per_s"
	mListS          = "LIST_s"
	mListBytes      = "LIST_bytes"
	mMLSDS          = "MLSD_s"
	mMLSDBytes      = "MLSD_bytes"
	higher          = true
	lower           = false
	noRatio         = 0
	ratioToBest     = 1
)

type results struct {
	Date    string         `json:"date"`
	Quick   bool           `json:"quick"`
	Sizes   sizes          `json:"sizes"`
	Machine machine        `json:"machine"`
	Servers []serverResult `json:"servers"`
}

type serverResult struct {
	Name        string             `json:"name"`
	Version     string             `json:"version,omitempty"`
	Missing     string             `json:"missing,omitempty"`
	TLS         string             `json:"tls,omitempty"`
	Metrics     map[string]float64 `json:"metrics"`
	ProcsAtMax  int                `json:"processes_at_max_sessions,omitempty"`
	Curl        string             `json:"curl_check,omitempty"`
	Notes       []string           `json:"notes,omitempty"`
	Unsupported []string           `json:"unsupported,omitempty"`
	Incomplete  []string           `json:"incomplete,omitempty"` // measured, but some clients failed
}

type machine struct {
	CPU, Memory, Kernel, Go, OpenSSL string
	Cores                            int
}

func machineInfo() machine {
	m := machine{Cores: runtime.NumCPU(), Go: strings.TrimSpace(output("go", "version"))}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if k, v, ok := strings.Cut(l, ":"); ok && strings.TrimSpace(k) == "model name" {
				m.CPU = strings.TrimSpace(v)
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "MemTotal:"); ok {
				var kb int64
				fmt.Sscan(strings.TrimSpace(v), &kb)
				m.Memory = fmt.Sprintf("%.1f GiB", float64(kb)/(1<<20))
			}
		}
	}
	b, _ := os.ReadFile("/proc/sys/kernel/osrelease")
	m.Kernel = "Linux " + strings.TrimSpace(string(b))
	m.OpenSSL = strings.TrimSpace(output("openssl", "version"))
	return m
}

func output(name string, args ...string) string {
	b, _ := exec.Command(name, args...).Output()
	return string(b)
}

// row is one line of the results table.
type row struct {
	key, label string
	better     bool // higher is better
	ratio      int
	format     string
	otherKey   string // the others' figure to compare with, when not key
}

func rows(sz sizes) []row {
	big := sizeName(sz.BigFile)
	return []row{
		{mFTPSDown, "FTPS download, one " + big + " file (MB/s)", higher, ratioToBest, "%.0f", ""},
		{mFTPSUp, "FTPS upload, one " + big + " file (MB/s)", higher, ratioToBest, "%.0f", ""},
		{mFTPSUpNoFsync, "FTPS upload, one " + big + " file, Bulwark with fsync_uploads = false (MB/s)", higher, ratioToBest, "%.0f", mFTPSUp},
		{mClearDown, "clear-text download, one " + big + " file (MB/s)", higher, ratioToBest, "%.0f", ""},
		{mClearUp, "clear-text upload, one " + big + " file (MB/s)", higher, ratioToBest, "%.0f", ""},
		{mClearUpNoFsync, "clear-text upload, one " + big + " file, Bulwark with fsync_uploads = false (MB/s)", higher, ratioToBest, "%.0f", mClearUp},
		{mParallel, fmt.Sprintf("%d FTPS clients in parallel, %s each (s)", sz.Parallel, sizeName(sz.MidFile)), lower, ratioToBest, "%.2f", ""},
		{mLogins, fmt.Sprintf("%d FTPS logins one after another (s)", sz.Logins), lower, ratioToBest, "%.2f", ""},
		{mLoginsNoCache, "the same, Bulwark's password cache off (s)", lower, ratioToBest, "%.2f", mLogins},
		{mRSSIdle, "memory, no session, RSS (MiB)", lower, ratioToBest, "%.1f", ""},
		{mRSSLogins, fmt.Sprintf("memory, %d sessions, RSS (MiB)", sz.Logins), lower, ratioToBest, "%.1f", ""},
		{mRSSMax, fmt.Sprintf("memory, %d sessions, RSS (MiB)", sz.MaxIdle), lower, ratioToBest, "%.1f", ""},
		{mPSSMax, fmt.Sprintf("memory, %d sessions, PSS (MiB)", sz.MaxIdle), lower, ratioToBest, "%.1f", ""},
		{mListS, fmt.Sprintf("LIST of %d files (s)", sz.ListFiles), lower, ratioToBest, "%.3f", ""},
		{mListBytes, "LIST size (bytes)", lower, noRatio, "%.0f", ""},
		{mMLSDS, fmt.Sprintf("MLSD of %d files (s)", sz.ListFiles), lower, ratioToBest, "%.3f", ""},
		{mMLSDBytes, "MLSD size (bytes)", lower, noRatio, "%.0f", ""},
		{mBan, "connections refused per second from a banned address", higher, noRatio, "%.0f", ""},
	}
}

func sizeName(n int64) string {
	if n >= 1<<30 {
		return fmt.Sprintf("%d GiB", n>>30)
	}
	return fmt.Sprintf("%d MiB", n>>20)
}

// ratio is Bulwark's value over the best other server's, and whether it
// can be computed.
func ratio(res *results, r row) (float64, bool) {
	var bw, best float64
	var haveBW, haveBest bool
	for _, s := range res.Servers {
		if s.Name == "Bulwark" {
			bw, haveBW = s.Metrics[r.key]
			continue
		}
		key := r.key
		if r.otherKey != "" {
			key = r.otherKey
		}
		v, ok := s.Metrics[key]
		if !ok {
			continue
		}
		if !haveBest || (r.better && v > best) || (!r.better && v < best) {
			best, haveBest = v, true
		}
	}
	if !haveBW || !haveBest || best == 0 {
		return 0, false
	}
	return bw / best, true
}

func writeResults(res *results, out string) error {
	j, err := json.MarshalIndent(res, "", "  ")
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "benchmarks.json"), append(j, '\n'), 0o644); err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(out, "benchmarks.md"), []byte(markdown(res)), 0o644); err != nil {
		return err
	}
	return writeChart(res, filepath.Join(out, "benchmarks.png"))
}

func (s serverResult) unsupported(key string) bool { return has(s.Unsupported, key) }

func (s serverResult) incomplete(key string) bool { return has(s.Incomplete, key) }

func has(list []string, key string) bool {
	for _, k := range list {
		if k == key {
			return true
		}
	}
	return false
}
