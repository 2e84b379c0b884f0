package tlsscan

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// finding is one entry of testssl.sh's JSON report.
type finding struct {
	ID       string `json:"id"`
	Severity string `json:"severity"`
	Finding  string `json:"finding"`
}

func (f finding) String() string { return fmt.Sprintf("%s (%s): %s", f.ID, f.Severity, f.Finding) }

// severityRank orders testssl.sh's severities; known is false for a word
// it does not use. WARN and FATAL mean the scanner could not complete a
// check, which makes the scan's verdict worthless, so they rank above
// everything.
func severityRank(s string) (rank int, known bool) {
	switch s {
	case "DEBUG":
		return 0, true
	case "INFO", "OK":
		return 1, true
	case "LOW":
		return 2, true
	case "MEDIUM":
		return 3, true
	case "HIGH":
		return 4, true
	case "CRITICAL":
		return 5, true
	case "WARN", "FATAL":
		return 6, true
	}
	return 0, false
}

// failRank is the rank of MEDIUM, the lowest severity that fails the test.
const failRank = 3

func mustRank(s string) int {
	r, ok := severityRank(s)
	if !ok {
		panic("unknown severity " + s)
	}
	return r
}

// allowance excuses a finding up to a severity, for a stated reason.
type allowance struct {
	upTo   string
	reason string
}

// allowed lists the findings that only say the test certificate is
// self-signed. They do not concern the TLS configuration (versions, suites,
// key exchange, renegotiation), which is what the scan judges. No HTTP
// checks run (no -h), so HTTP-only findings such as HSTS cannot appear.
func allowed() map[string]allowance {
	const selfSigned = "the server runs with its generated self-signed certificate; "
	return map[string]allowance{
		"cert_chain_of_trust": {"CRITICAL", selfSigned +
			"no CA vouches for it, clients pin the SHA-256 fingerprint the server logs at start-up instead"},
		"cert_revocation": {"HIGH", selfSigned +
			"it has no issuer to publish a CRL or run an OCSP responder; revoking it means deleting it"},
		"cert_validityPeriod": {"MEDIUM", selfSigned +
			"it is valid for five years so pinned fingerprints rarely change; the 398 and 825 day limits " +
			"are rules for publicly trusted CAs, and a CA-issued certificate carries its CA's period " +
			"(ten years or more, rated HIGH, would still fail)"},
		"cert_crlDistributionPoints": {"MEDIUM", selfSigned + "there is no CRL to point to"},
		"cert_ocspURL":               {"MEDIUM", selfSigned + "there is no OCSP responder to name"},
		"OCSP_stapling":              {"MEDIUM", selfSigned + "there is no OCSP response to staple"},
		"cert_mustStapleExtension":   {"MEDIUM", selfSigned + "must-staple needs an OCSP responder"},
		"certificate_transparency":   {"MEDIUM", selfSigned + "CT logs accept only CA-issued certificates"},
		"DNS_CAArecord": {"MEDIUM",
			"CAA records restrict which public CAs may issue for a DNS name; the scan targets an IP address"},
	}
}

// parseReport reads testssl.sh's --jsonfile-pretty output: a scanResult
// list with one entry per target, each holding sections ("protocols",
// "serverDefaults", ...) that are lists of findings. The target's plain
// string fields (ip, port, service ...) are not findings and are skipped.
func parseReport(data []byte) ([]finding, error) {
	var report struct {
		ScanResult []map[string]json.RawMessage `json:"scanResult"`
	}
	if err := json.Unmarshal(data, &report); err != nil {
		return nil, fmt.Errorf("parse testssl.sh report: %w", err)
	}
	if len(report.ScanResult) == 0 {
		return nil, fmt.Errorf("testssl.sh report has no scanResult")
	}
	var all []finding
	for _, target := range report.ScanResult {
		for _, raw := range target {
			var section []finding
			if json.Unmarshal(raw, &section) != nil {
				continue
			}
			all = append(all, section...)
		}
	}
	return all, nil
}

// baseID drops the " <hostCert#1>" suffix testssl.sh adds to certificate
// findings when a server has several certificates.
func baseID(id string) string {
	if i := strings.Index(id, " <"); i >= 0 {
		return id[:i]
	}
	return id
}

// verdict is the outcome of judging one scan.
type verdict struct {
	problems []string // each one fails the test
	excused  []string // allowed findings, with the reason, for the log
}

// judge applies every rule to the findings of one scan.
func judge(findings []finding) verdict {
	var v verdict
	allow := allowed()
	byID := make(map[string]finding)
	for _, f := range findings {
		byID[baseID(f.ID)] = f
		rank, known := severityRank(f.Severity)
		if !known {
			v.problems = append(v.problems, "unknown severity: "+f.String())
			continue
		}
		if rank < failRank {
			continue
		}
		if a, ok := allow[baseID(f.ID)]; ok && rank <= mustRank(a.upTo) {
			v.excused = append(v.excused, f.String()+" -- allowed: "+a.reason)
			continue
		}
		v.problems = append(v.problems, f.String())
	}
	v.problems = append(v.problems, checkProtocols(byID)...)
	v.problems = append(v.problems, checkSuites(findings)...)
	v.problems = append(v.problems, checkKeySize(byID)...)
	return v
}

// checkProtocols asserts that nothing older than TLS 1.2 is offered, and
// that TLS 1.2 and 1.3 are (so that a scan which reached no TLS at all
// cannot pass).
func checkProtocols(byID map[string]finding) []string {
	var problems []string
	for _, id := range []string{"SSLv2", "SSLv3", "TLS1", "TLS1_1"} {
		f, ok := byID[id]
		switch {
		case !ok:
			problems = append(problems, "no result for protocol "+id)
		case !strings.HasPrefix(f.Finding, "not offered"):
			problems = append(problems, "obsolete protocol offered: "+f.String())
		}
	}
	for _, id := range []string{"TLS1_2", "TLS1_3"} {
		f, ok := byID[id]
		switch {
		case !ok:
			problems = append(problems, "no result for protocol "+id)
		case !strings.HasPrefix(f.Finding, "offered"):
			problems = append(problems, "protocol not offered: "+f.String())
		}
	}
	return problems
}

// aeadSuite matches the IANA names of suites whose cipher is an AEAD, in
// TLS 1.2 ("..._WITH_AES_128_GCM_SHA256", "..._AES_128_CCM_8") and TLS 1.3
// ("TLS_AES_128_GCM_SHA256") spelling.
var aeadSuite = regexp.MustCompile(`_(GCM|CCM|CCM_8|CHACHA20_POLY1305)(_SHA\d+)?$`)

// checkSuites asserts that every suite the server accepted (testssl.sh's
// -e "cipher_x<hex>" lines, whose last column is the IANA name) is an
// AEAD suite, which rules out CBC, RC4 and NULL; that every TLS 1.2 suite
// has ECDHE key exchange (forward secrecy, no static RSA); and that the
// list is not empty.
func checkSuites(findings []finding) []string {
	var problems []string
	n := 0
	for _, f := range findings {
		if !strings.HasPrefix(f.ID, "cipher_x") {
			continue
		}
		n++
		fields := strings.Fields(f.Finding)
		if len(fields) == 0 {
			problems = append(problems, "cipher line without a name: "+f.String())
			continue
		}
		iana := fields[len(fields)-1]
		switch {
		case strings.Contains(iana, "_CBC_"):
			problems = append(problems, "CBC suite offered: "+iana)
		case !aeadSuite.MatchString(iana):
			problems = append(problems, "non-AEAD suite offered: "+iana)
		case strings.Contains(iana, "_WITH_") && !strings.HasPrefix(iana, "TLS_ECDHE_"):
			problems = append(problems, "TLS 1.2 suite without ECDHE offered: "+iana)
		}
	}
	if n == 0 {
		problems = append(problems, "the report lists no accepted cipher suites (was -e run?)")
	}
	return problems
}

// keySize reads "EC 256 bits" or "RSA 2048 bits" (later testssl.sh
// versions append the curve).
var keySize = regexp.MustCompile(`^(EC|ECDSA|RSA|EdDSA)\S*\s+(\d+)\s+bits`)

// minKeyBits is the least acceptable key size per algorithm: P-256 for
// ECDSA, 2048 bits for RSA; Ed25519 reports 253.
func minKeyBits(alg string) int {
	switch alg {
	case "EC", "ECDSA":
		return 256
	case "RSA":
		return 2048
	case "EdDSA":
		return 253
	}
	return 1 << 30
}

func checkKeySize(byID map[string]finding) []string {
	f, ok := byID["cert_keySize"]
	if !ok {
		return []string{"no result for cert_keySize"}
	}
	m := keySize.FindStringSubmatch(f.Finding)
	if m == nil {
		return []string{"cannot read the key size: " + f.String()}
	}
	bits, err := strconv.Atoi(m[2])
	if err != nil || bits < minKeyBits(m[1]) {
		return []string{fmt.Sprintf("certificate key too small (want %s >= %d bits): %s", m[1], minKeyBits(m[1]), f)}
	}
	return nil
}
