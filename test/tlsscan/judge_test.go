package tlsscan

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// realReport is what testssl.sh 3.0.8 reported for Bulwark's explicit
// listener with the default configuration.
const realReport = "testdata/testssl-3.0.8-explicit.json"

func loadReal(t *testing.T) []finding {
	t.Helper()
	data, err := os.ReadFile(realReport)
	if err != nil {
		t.Fatal(err)
	}
	findings, err := parseReport(data)
	if err != nil {
		t.Fatal(err)
	}
	return findings
}

func TestJudgeRealReportPasses(t *testing.T) {
	findings := loadReal(t)
	if len(findings) < 50 {
		t.Fatalf("parsed %d findings from %s; the report holds about 80", len(findings), realReport)
	}
	v := judge(findings)
	if len(v.problems) > 0 {
		t.Errorf("problems in the recorded clean report:\n%s", strings.Join(v.problems, "\n"))
	}
	// The three findings about the self-signed certificate are excused,
	// not ignored.
	for _, id := range []string{"cert_chain_of_trust", "cert_revocation", "cert_validityPeriod"} {
		if !slices.ContainsFunc(v.excused, func(s string) bool { return strings.HasPrefix(s, id+" ") }) {
			t.Errorf("%s not among the excused findings: %q", id, v.excused)
		}
	}
}

// set replaces the finding with f's ID, or appends f.
func set(findings []finding, f finding) []finding {
	out := slices.Clone(findings)
	for i := range out {
		if out[i].ID == f.ID {
			out[i] = f
			return out
		}
	}
	return append(out, f)
}

func without(findings []finding, id string) []finding {
	return slices.DeleteFunc(slices.Clone(findings), func(f finding) bool { return f.ID == id })
}

func withoutCiphers(findings []finding) []finding {
	return slices.DeleteFunc(slices.Clone(findings), func(f finding) bool { return strings.HasPrefix(f.ID, "cipher_x") })
}

func TestJudgeCatches(t *testing.T) {
	base := loadReal(t)
	cipher := func(hex, openssl, enc, iana string) finding {
		return finding{ID: "cipher_x" + hex, Severity: "INFO",
			Finding: "x" + hex + "   " + openssl + "   ECDH 253   " + enc + "   128   " + iana}
	}
	tests := []struct {
		name     string
		findings []finding
		want     string // a substring of one of the problems
	}{
		{"TLS 1.0 offered", set(base, finding{"TLS1", "INFO", "offered"}), "obsolete protocol offered: TLS1 "},
		{"TLS 1.1 offered", set(base, finding{"TLS1_1", "LOW", "offered (deprecated)"}), "obsolete protocol offered: TLS1_1 "},
		{"SSLv3 offered", set(base, finding{"SSLv3", "HIGH", "offered"}), "SSLv3 (HIGH): offered"},
		{"protocol result missing", without(base, "TLS1"), "no result for protocol TLS1"},
		{"TLS 1.3 not offered", set(base, finding{"TLS1_3", "INFO", "not offered"}), "protocol not offered: TLS1_3"},
		{"CBC suite", append(slices.Clone(base),
			cipher("c009", "ECDHE-ECDSA-AES128-SHA", "AES", "TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA")),
			"CBC suite offered: TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA"},
		{"RC4 suite", append(slices.Clone(base),
			cipher("c007", "ECDHE-ECDSA-RC4-SHA", "RC4", "TLS_ECDHE_ECDSA_WITH_RC4_128_SHA")),
			"non-AEAD suite offered: TLS_ECDHE_ECDSA_WITH_RC4_128_SHA"},
		{"static RSA key exchange", append(slices.Clone(base),
			cipher("9c", "AES128-GCM-SHA256", "AESGCM", "TLS_RSA_WITH_AES_128_GCM_SHA256")),
			"without ECDHE offered: TLS_RSA_WITH_AES_128_GCM_SHA256"},
		{"no suites listed", withoutCiphers(base), "lists no accepted cipher suites"},
		{"small RSA key", set(base, finding{"cert_keySize", "MEDIUM", "RSA 1024 bits"}), "certificate key too small"},
		{"small EC key", set(base, finding{"cert_keySize", "INFO", "EC 224 bits"}), "certificate key too small"},
		{"unreadable key size", set(base, finding{"cert_keySize", "INFO", "unknown"}), "cannot read the key size"},
		{"medium finding", append(slices.Clone(base), finding{"secure_client_renego", "MEDIUM", "VULNERABLE, DoS threat"}),
			"secure_client_renego (MEDIUM)"},
		{"allowance capped", set(base, finding{"cert_validityPeriod", "HIGH", "3650 days"}), "cert_validityPeriod (HIGH)"},
		{"allowance per certificate", append(slices.Clone(base), finding{"cert_trust <hostCert#1>", "MEDIUM", "via CN only"}),
			"cert_trust <hostCert#1> (MEDIUM)"},
		{"scan problem", append(slices.Clone(base), finding{"scanProblem", "WARN", "timeout"}), "scanProblem (WARN)"},
		{"unknown severity", append(slices.Clone(base), finding{"x", "SEVERE", "?"}), "unknown severity"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			v := judge(tt.findings)
			if !slices.ContainsFunc(v.problems, func(p string) bool { return strings.Contains(p, tt.want) }) {
				t.Errorf("no problem containing %q; got %q", tt.want, v.problems)
			}
		})
	}
}

func TestAllowancesAreCertificateOnly(t *testing.T) {
	for id, a := range allowed() {
		if _, ok := severityRank(a.upTo); !ok {
			t.Errorf("%s: unknown severity %q", id, a.upTo)
		}
		if a.reason == "" {
			t.Errorf("%s: no reason given", id)
		}
		// Nothing about protocols, suites, key exchange or known attacks
		// may ever be excused.
		if !strings.HasPrefix(id, "cert") && !strings.HasPrefix(id, "OCSP") && id != "DNS_CAArecord" {
			t.Errorf("%s: allowance outside the certificate's trust and revocation findings", id)
		}
	}
}

func TestParseReportErrors(t *testing.T) {
	for _, in := range []string{``, `{`, `{"scanResult": []}`} {
		if _, err := parseReport([]byte(in)); err == nil {
			t.Errorf("parseReport(%q): no error", in)
		}
	}
	findings, err := parseReport([]byte(`{"scanResult":[{"ip":"127.0.0.1","protocols":[{"id":"TLS1","severity":"INFO","finding":"not offered"}]}]}`))
	if err != nil || len(findings) != 1 || findings[0] != (finding{"TLS1", "INFO", "not offered"}) {
		t.Errorf("parseReport = %v, %v", findings, err)
	}
}
