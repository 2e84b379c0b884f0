package certs

import (
	"crypto/tls"
	"crypto/x509"
	"strings"
	"testing"
)

func TestParseCipherSuites(t *testing.T) {
	tests := []struct {
		names   []string
		wantErr string
	}{
		{nil, ""},
		{[]string{"TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384", "TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256"}, ""},
		{[]string{"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA"}, "not allowed"},
		{[]string{"TLS_RSA_WITH_AES_128_GCM_SHA256"}, "not allowed"},
		{[]string{"TLS_RSA_WITH_RC4_128_SHA"}, "not allowed"},
		{[]string{"TLS_AES_128_GCM_SHA256"}, "TLS 1.3"},
		{[]string{"TLS_NO_SUCH_SUITE"}, "unknown"},
	}
	for _, tt := range tests {
		ids, err := ParseCipherSuites(tt.names)
		if tt.wantErr == "" {
			if err != nil {
				t.Errorf("%v: %v", tt.names, err)
			} else if len(ids) == 0 {
				t.Errorf("%v: no suites", tt.names)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), tt.names[0]) {
			t.Errorf("%v: error %v, want one naming the suite and containing %q", tt.names, err, tt.wantErr)
		}
	}
}

func TestDefaultCipherSuitesAreAEAD(t *testing.T) {
	names := DefaultCipherSuites()
	if len(names) == 0 {
		t.Fatal("no default suites")
	}
	if _, err := ParseCipherSuites(names); err != nil {
		t.Errorf("defaults refused by ParseCipherSuites: %v", err)
	}
}

func TestTLSConfigHandshake(t *testing.T) {
	r, err := NewReloader(t.TempDir(), "", "", nil)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := TLSConfig("1.1", nil, r); err == nil || !strings.Contains(err.Error(), "min_version") {
		t.Errorf("TLSConfig(1.1) error = %v", err)
	}
	if _, err := TLSConfig("1.2", []string{"TLS_RSA_WITH_AES_128_CBC_SHA"}, r); err == nil || !strings.Contains(err.Error(), "cipher_suites") {
		t.Errorf("TLSConfig(CBC suite) error = %v", err)
	}

	for _, tt := range []struct {
		min        string
		clientMax  uint16
		wantFailed bool
	}{
		{"1.2", tls.VersionTLS12, false},
		{"1.3", tls.VersionTLS13, false},
		{"1.3", tls.VersionTLS12, true},
	} {
		conf, err := TLSConfig(tt.min, nil, r)
		if err != nil {
			t.Fatal(err)
		}
		ln, err := tls.Listen("tcp", "127.0.0.1:0", conf)
		if err != nil {
			t.Fatal(err)
		}
		go func() {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			c.(*tls.Conn).Handshake()
			c.Close()
		}()
		pool := x509.NewCertPool()
		pool.AddCert(r.Current().Leaf)
		conn, err := tls.Dial("tcp", ln.Addr().String(), &tls.Config{
			RootCAs: pool, ServerName: "localhost", MaxVersion: tt.clientMax,
		})
		if tt.wantFailed {
			if err == nil {
				conn.Close()
				t.Errorf("min %s: handshake with client max %x succeeded", tt.min, tt.clientMax)
			}
		} else if err != nil {
			t.Errorf("min %s: handshake: %v", tt.min, err)
		} else {
			if conn.ConnectionState().Version != tt.clientMax {
				t.Errorf("min %s: negotiated %x", tt.min, conn.ConnectionState().Version)
			}
			conn.Close()
		}
		ln.Close()
	}
}
