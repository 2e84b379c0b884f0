package admin

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
)

// TestConcurrentUse mixes reads with ban changes from many clients; run
// with -race. Each client bans and lifts its own address, so the final
// state and the audit trail are known exactly.
func TestConcurrentUse(t *testing.T) {
	f := newFixture(t)
	const clients, rounds = 16, 8
	tokens := []string{f.token, f.newToken("ci", start.Add(24*3600e9))}
	client := f.srv.Client()
	call := func(token, method, path, body string) (int, error) {
		var rd io.Reader
		if body != "" {
			rd = strings.NewReader(body)
		}
		req, err := http.NewRequest(method, f.srv.URL+path, rd)
		if err != nil {
			return 0, err
		}
		req.Header.Set("Authorization", "Bearer "+token)
		resp, err := client.Do(req)
		if err != nil {
			return 0, err
		}
		defer resp.Body.Close()
		io.Copy(io.Discard, resp.Body)
		return resp.StatusCode, nil
	}
	var wg sync.WaitGroup
	errs := make(chan error, clients*rounds*4)
	for i := range clients {
		wg.Add(1)
		go func() {
			defer wg.Done()
			tok := tokens[i%2]
			addr := fmt.Sprintf("203.0.113.%d", i+1)
			steps := []struct {
				method, path, body string
				want               int
			}{
				{"POST", "/api/v1/bans", `{"address":"` + addr + `","reason":"load","duration":"1h"}`, 201},
				{"GET", "/api/v1/bans", "", 200},
				{"GET", []string{"/api/v1/users", "/api/v1/sessions", "/api/v1/status", "/api/v1/shares/docs"}[i%4], "", 200},
				{"DELETE", "/api/v1/bans/" + addr, "", 204},
			}
			for range rounds {
				for _, s := range steps {
					code, err := call(tok, s.method, s.path, s.body)
					if err == nil && code != s.want {
						err = fmt.Errorf("%s %s: status %d, want %d", s.method, s.path, code, s.want)
					}
					if err != nil {
						errs <- err
						return
					}
				}
			}
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	bans, err := f.st.ListBans(context.Background())
	if err != nil || len(bans) != 1 || bans[0].Prefix != "198.51.100.0/24" {
		t.Errorf("bans after the run: %+v, %v", bans, err)
	}
	counts := map[string]int{}
	for _, e := range f.auditEntries() {
		counts[e.Actor+" "+e.Action]++
	}
	per := clients / 2 * rounds
	want := map[string]int{"token:ops ban.add": per, "token:ops ban.delete": per, "token:ci ban.add": per, "token:ci ban.delete": per}
	if fmt.Sprint(counts) != fmt.Sprint(want) {
		t.Errorf("audit counts %v, want %v", counts, want)
	}
	if n := f.live.refreshes.Load(); n != int64(clients*rounds*2) {
		t.Errorf("%d refreshes, want %d", n, clients*rounds*2)
	}
}
