package main

import (
	"fmt"
	"strings"
)

func markdown(res *results) string {
	var b strings.Builder
	p := func(format string, args ...any) { fmt.Fprintf(&b, format, args...) }
	mode := "full sizes"
	if res.Quick {
		mode = "quick mode (-quick): small sizes, for trying the harness out"
	}
	p("# Benchmarks: Bulwark, vsftpd, ProFTPD and Pure-FTPd\n\n")
	p("This page and `benchmarks.png` are written by `go run ./bench` (%s) on %s;\n", mode, res.Date)
	p("the raw figures are in `benchmarks.json`. Do not edit them by hand: run the\n")
	p("command again (as root, from the repository root) to regenerate all three.\n\n")

	p("## Machine\n\n")
	m := res.Machine
	p("| | |\n|---|---|\n")
	p("| CPU | %s |\n| cores | %d |\n| memory | %s |\n| kernel | %s |\n| Go | %s |\n| OpenSSL (system) | %s |\n\n",
		m.CPU, m.Cores, m.Memory, m.Kernel, m.Go, orDash(m.OpenSSL))
	p("Client and servers run on the same machine and share its cores, over loopback.\n\n")

	p("## Servers\n\n| server | version | TLS negotiated by the Go client |\n|---|---|---|\n")
	for _, s := range res.Servers {
		if s.Missing != "" {
			p("| %s | **missing** | – |\n", s.Name)
			continue
		}
		p("| %s | %s | %s |\n", s.Name, oneLine(s.Version), orDash(s.TLS))
	}
	sz := res.Sizes
	p("\n## Settings\n\n")
	p("- Every server listens on 127.0.0.1 with explicit FTPS (AUTH TLS); the client accepts TLS 1.2 and 1.3\n")
	p("  (the version and suite each server picked are in the table above); TLS 1.2 suites are limited to\n")
	p("  ECDHE-RSA with AES-GCM; the same RSA-2048 certificate; TLS required for login and data, and TLS\n")
	p("  session resumption required on data connections. Each has a passive range of 2,000 ports of its own\n")
	p("  (Pure-FTPd admits at most half as many users as its range has ports).\n")
	p("- One account, the same password. Bulwark stores it as argon2id with its default cost\n")
	p("  (m=%d KiB, t=%d, p=%d). vsftpd and ProFTPD check it against the system account in\n", argonMemoryKiB, argonIterations, argonLanes)
	p("  /etc/shadow (hashed by `chpasswd` with the system's default scheme, yescrypt on Debian 12) through\n")
	p("  PAM and mod_auth_unix; Pure-FTPd through its PureDB with SHA-512-crypt. Login times therefore include\n")
	p("  hashes of different cost: argon2id at 19 MiB is deliberately the slowest.\n")
	p("- Bulwark remembers successful password verifications for 5 minutes by default\n")
	p("  (`auth.password_cache_ttl`, an HMAC of hash and password kept in memory), so after the first login\n")
	p("  its logins skip argon2id. The row \"password cache off\" repeats the logins with\n")
	p("  `password_cache_ttl = \"0s\"`, every login paying the full argon2id cost; its ratio compares with the\n")
	p("  others' login row.\n")
	p("- Bulwark: defender enabled with 127.0.0.1 safelisted, max_connections 3000; uploads are `fsync`ed\n")
	p("  before they are committed (`server.fsync_uploads = true`, the default). The row \"fsync_uploads =\n")
	p("  false\" repeat the FTPS and clear-text uploads on a Bulwark restarted with that setting; their\n")
	p("  ratios compare with the others' upload row of the same kind. The clear-text runs restart each\n")
	p("  server with TLS optional (Bulwark `tls.policy = \"optional\"`).\n")
	p("- The reference servers come from Debian packages, unpacked with `apt-get download` and `dpkg -x` when\n")
	p("  not installed, and run as root with their own configuration (chroot to the home, no reverse DNS,\n")
	p("  no ident, ProFTPD's mod_delay off).\n")
	p("- Client: Go, github.com/jlaffaye/ftp, 1 MiB copy buffers, one TLS session cache per control connection;\n")
	p("  listings use a small hand-driven client so that their bytes can be counted. curl downloads one\n")
	p("  %s file from each server as a cross-check.\n", sizeName(sz.MidFile))
	p("- Sizes: one %s file for single transfers (each transfer runs %d times on one session, alternating\n", sizeName(sz.BigFile), repeats)
	p("  download and upload, and the median is reported), %d parallel clients each downloading %s, %d logins\n",
		sz.Parallel, sizeName(sz.MidFile), sz.Logins)
	p("  one after another kept open, then up to %d sessions, a directory of %d files.\n", sz.MaxIdle, sz.ListFiles)
	p("- Memory is summed over the server's whole process tree (vsftpd, ProFTPD and Pure-FTPd fork\n")
	p("  processes per session; Bulwark is one process): VmRSS from /proc/PID/status, which counts pages\n")
	p("  shared by forked processes once per process, and PSS from /proc/PID/smaps_rollup, which shares\n")
	p("  them out, as a fairer figure for the forking servers.\n\n")

	p("## Results\n\n")
	p("The last column is Bulwark's figure divided by the best of the others: above 1 is better for\n")
	p("MB/s, below 1 is better for seconds and MiB.\n\n")
	p("| workload |")
	for _, s := range res.Servers {
		p(" %s |", s.Name)
	}
	p(" Bulwark / best other |\n|---|")
	for range res.Servers {
		p("---:|")
	}
	p("---:|\n")
	for _, r := range rows(sz) {
		p("| %s |", r.label)
		for _, s := range res.Servers {
			v, ok := s.Metrics[r.key]
			switch {
			case s.Missing != "":
				p(" missing |")
			case ok && s.incomplete(r.key):
				p(" "+r.format+" (some clients failed, see notes) |", v)
			case ok:
				p(" "+r.format+" |", v)
			case (r.key == mBan || r.otherKey != "") && s.Name != "Bulwark":
				p(" n/a |")
			case s.unsupported(r.key):
				p(" not supported |")
			default:
				p(" failed |")
			}
		}
		if x, ok := ratio(res, r); ok && r.ratio == ratioToBest {
			p(" %.2f |\n", x)
		} else {
			p(" – |\n")
		}
	}
	p("\n![Bar chart of the results](benchmarks.png)\n\n")

	p("## Notes\n\n")
	p("- The banned-address test applies to Bulwark only: `bulwark ban add 127.0.0.2` while the server runs,\n")
	p("  then 8 clients connect from 127.0.0.2 for 3 seconds, each reading until the server closes.\n")
	p("  The other servers have no built-in ban list (n/a).\n")
	p("- Each figure comes from one run of the harness on a machine whose cores the client shares with the\n")
	p("  server. The single-file transfers vary most between runs (uploads also depend on the disk), which\n")
	p("  is why they are medians of %d; differences below about 15%% are still within the noise.\n", repeats)
	p("- Uploads: by default Bulwark `fsync`s each upload (the file, then its directory) before it replaces\n")
	p("  the previous version, so an upload acknowledged with 226 survives a power loss. vsftpd, ProFTPD\n")
	p("  and Pure-FTPd, as configured here, do not `fsync` uploads: they leave the data in the page cache\n")
	p("  for the kernel to write back later, which favours them in the upload rows. The row \"Bulwark with\n")
	p("  fsync_uploads = false\" measures Bulwark on the same terms (it still writes to a temporary file\n")
	p("  and renames it into place, so an aborted upload never destroys the previous version); the other\n")
	p("  servers' figures for them are their upload rows, hence n/a in their columns.\n")
	for _, s := range res.Servers {
		if s.Missing != "" {
			p("- %s is missing: %s\n", s.Name, oneLine(s.Missing))
		}
		for _, n := range s.Notes {
			p("- %s, %s\n", s.Name, oneLine(n))
		}
		if s.Curl != "" {
			p("- %s, curl cross-check: %s\n", s.Name, oneLine(s.Curl))
		}
		switch {
		case s.ProcsAtMax == 1:
			p("- %s ran one process with %d sessions open.\n", s.Name, sz.MaxIdle)
		case s.ProcsAtMax > 1:
			p("- %s ran %d processes with %d sessions open.\n", s.Name, s.ProcsAtMax, sz.MaxIdle)
		}
	}
	return b.String()
}

func orDash(s string) string {
	if s == "" {
		return "–"
	}
	return s
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	return strings.ReplaceAll(s, "|", "/")
}
