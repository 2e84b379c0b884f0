package ftp_test

import (
	"crypto/tls"
	"io"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/ftp"
)

// recorder is an Observer that keeps what it is told.
type recorder struct {
	mu        sync.Mutex
	handshake []tls.ConnectionState
	transfers []ftp.TransferInfo
}

func (r *recorder) TLSEstablished(_ netip.AddrPort, st tls.ConnectionState) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.handshake = append(r.handshake, st)
}

func (r *recorder) TransferDone(t ftp.TransferInfo) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.transfers = append(r.transfers, t)
}

func (r *recorder) done() []ftp.TransferInfo {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]ftp.TransferInfo(nil), r.transfers...)
}

func TestObserverSeesHandshakesAndTransfers(t *testing.T) {
	rec := &recorder{}
	e := newEnv(t, func(s *ftp.Server, _ *env) { s.Observer = rec })
	e.writeFile(t, "f.txt", []byte("hello, observer"))
	c := e.secureClient(t)

	dc := c.OpenPassiveData()
	c.Expect("RETR f.txt", 150)
	tc, err := c.DataTLS(dc)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(tc)
	tc.Close()
	c.ExpectReply(226)
	if string(got) != "hello, observer" {
		t.Fatalf("downloaded %q", got)
	}

	// A running upload shows in Sessions with its progress.
	up := startUpload(t, c, "up.bin")
	waitUntil(t, "upload listed", func() bool {
		for _, si := range e.srv.Sessions() {
			if si.Transferring && si.TransferVerb == "STOR" && si.TransferPath == "/up.bin" && si.TransferBytes > 0 {
				return si.TLSVersion != "" && si.TLSCipher != ""
			}
		}
		return false
	})
	up.Close()
	c.ExpectReply(226)

	waitUntil(t, "two transfers observed", func() bool { return len(rec.done()) == 2 })
	ts := rec.done()
	r, s := ts[0], ts[1]
	if r.Verb != "RETR" || r.Path != "/f.txt" || r.Upload || r.Bytes != 15 || r.Result != "ok" || !r.TLS || r.User == "" {
		t.Errorf("download observed as %+v", r)
	}
	if s.Verb != "STOR" || !s.Upload || s.Bytes != 64<<10 || s.Result != "ok" {
		t.Errorf("upload observed as %+v", s)
	}
	if r.Duration < 0 || r.Started.IsZero() || time.Since(r.Started) > time.Minute {
		t.Errorf("download timing %v from %v", r.Duration, r.Started)
	}
	rec.mu.Lock()
	n := len(rec.handshake)
	rec.mu.Unlock()
	if n != 1 {
		t.Errorf("%d control-connection handshakes observed, want 1", n)
	}
	if r.SessionID == "" || r.SessionID != s.SessionID {
		t.Errorf("session IDs %q and %q differ", r.SessionID, s.SessionID)
	}
}
