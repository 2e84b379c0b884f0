// Package tlsscan checks Bulwark's TLS configuration with testssl.sh, the
// way an auditor or an internet scanner would see it.
//
// The test starts the real server in-process with the built-in defaults on
// 127.0.0.1:0 and scans both listeners: the explicit one through
// "--starttls ftp" (AUTH TLS) and the implicit one directly. It reads
// testssl.sh's JSON report and fails on any finding rated MEDIUM, HIGH or
// CRITICAL, listing them, apart from a short, explicit list of findings
// that only concern the self-signed test certificate (see allowed in
// report_test.go, each with its reason). It also asserts what the
// configuration promises: SSLv2, SSLv3, TLS 1.0 and TLS 1.1 not offered,
// only AEAD suites (no CBC), and a certificate key of sane size.
//
// The scanner is found on PATH as "testssl.sh" (upstream's name) or
// "testssl" (Debian's). When it is missing the test is skipped, except when
// the CI environment variable is set: then it fails, because
// scripts/test.sh installs it. Each scan takes about half a minute, so
// -short skips them.
package tlsscan
