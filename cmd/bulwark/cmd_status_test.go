package main

import (
	"encoding/json"
	"fmt"
	"github.com/bulwark-ftp/bulwark/internal/admin"
	"net/http"
	"strings"
	"testing"
	"time"
)

// httpJSON answers every request with body, for tests that need no token
// check.
func httpJSON(body string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { writeFakeJSON(w, 200, body) })
}

func TestStatus(t *testing.T) {
	e := newEnv(t)
	t.Setenv(adminTokenEnv, "")
	f := newFakeAdmin(t, e)
	listen := serveUnix(t, f)
	cfg := writeAdminConfig(t, listen, "")

	r := e.okAt(t0, "--config", cfg, "status")
	for _, want := range []string{
		"version:        1.4.0\n",
		"started:        " + formatTime(time.Date(2026, 11, 29, 7, 0, 0, 0, time.UTC)) + " (up 3h00m)\n",
		"listeners:      ftp 127.0.0.1:2121, ftps 127.0.0.1:9990\n",
		"admin API:      " + listen + "\n",
		"sessions:       3 (2 logged in, 1 transferring)\n",
		"bans in force:  2\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("status lacks %q:\n%s", want, r.stdout)
		}
	}
	if reqs := f.requests(); len(reqs) != 1 || reqs[0].path != "/api/v1/status" || !strings.HasPrefix(reqs[0].token, "cli-") {
		t.Errorf("requests %+v", reqs)
	}

	r = e.okAt(t0, "--config", cfg, "status", "--json")
	var st admin.Status
	if err := json.Unmarshal([]byte(r.stdout), &st); err != nil {
		t.Fatalf("--json: %v\n%s", err, r.stdout)
	}
	if fmt.Sprint(st.Listeners) != "[ftp 127.0.0.1:2121 ftps 127.0.0.1:9990]" || st.Sessions != 3 || st.LoggedIn != 2 ||
		st.Transfers != 1 || st.BansActive != 2 || st.UptimeSeconds != 10800.5 || st.Version != "1.4.0" {
		t.Errorf("--json decoded: %+v", st)
	}
	if !strings.Contains(r.stdout, `"uptime_seconds": 10800.5`) || !strings.Contains(r.stdout, `"bans_active": 2`) {
		t.Errorf("--json field names:\n%s", r.stdout)
	}
	if r := e.run("", "--config", cfg, "status", "extra"); r.code != exitUsage {
		t.Errorf("extra argument: exit %d", r.code)
	}
}
