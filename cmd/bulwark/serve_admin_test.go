package main

import (
	"context"
	"io"
	"net"
	"net/http"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/server/servertest"
)

// freeAddr returns a loopback address no one listens on at the moment.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

func healthz(addr string) error {
	c := http.Client{Timeout: 5 * time.Second}
	resp, err := c.Get("http://" + addr + "/healthz")
	if err != nil {
		return err
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return nil
}

// A reload moves the admin API to its new address; one that cannot bind
// leaves it where it was.
func TestAdminListenerReload(t *testing.T) {
	e := servertest.New(t)
	e.Start(t)
	api := newAdminListener(e.Server, e.Store, nil, e.Logger)
	first := config.Admin{Listen: "127.0.0.1:0", SocketMode: "0660", MetricsRequireToken: true}
	if err := api.listen(first); err != nil {
		t.Fatal(err)
	}
	api.serve()
	defer api.shutdown(context.Background())
	old := api.Addr()
	if err := healthz(old); err != nil {
		t.Fatal(err)
	}

	oldCfg, cur := config.Default(), config.Default()
	oldCfg.Admin = first
	cur.Admin = first
	cur.Admin.Listen = freeAddr(t)
	if err := api.reload(oldCfg, cur); err != nil {
		t.Fatal(err)
	}
	if api.Addr() != cur.Admin.Listen {
		t.Fatalf("admin API on %s after the reload, want %s", api.Addr(), cur.Admin.Listen)
	}
	if err := healthz(cur.Admin.Listen); err != nil {
		t.Errorf("new address: %v", err)
	}
	if err := healthz(old); err == nil {
		t.Error("the old address still answers")
	}

	// An address in use: the reload fails and the API stays.
	busy, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	next := config.Default()
	next.Admin = cur.Admin
	next.Admin.Listen = busy.Addr().String()
	if err := api.reload(cur, next); err == nil {
		t.Fatal("a reload to an address in use succeeded")
	}
	if err := healthz(cur.Admin.Listen); err != nil {
		t.Errorf("after a failed reload: %v", err)
	}
}
