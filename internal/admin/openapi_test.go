package admin

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/store"
)

// spec is docs/openapi.json as generic JSON.
type spec map[string]any

func loadSpec(t *testing.T) spec {
	t.Helper()
	b, err := os.ReadFile("../../docs/openapi.json")
	if err != nil {
		t.Fatal(err)
	}
	var s spec
	if err := json.Unmarshal(b, &s); err != nil {
		t.Fatalf("docs/openapi.json is not JSON: %v", err)
	}
	if v, _ := s["openapi"].(string); !strings.HasPrefix(v, "3.0.") {
		t.Fatalf("openapi version %q, want 3.0.x", v)
	}
	return s
}

// resolve follows a local $ref.
func (s spec) resolve(t *testing.T, v any) map[string]any {
	t.Helper()
	m, _ := v.(map[string]any)
	for m != nil {
		ref, ok := m["$ref"].(string)
		if !ok {
			return m
		}
		var cur any = map[string]any(s)
		for _, part := range strings.Split(strings.TrimPrefix(ref, "#/"), "/") {
			cm, _ := cur.(map[string]any)
			cur = cm[part]
		}
		if cur == nil {
			t.Fatalf("unresolved $ref %s", ref)
		}
		m, _ = cur.(map[string]any)
	}
	return m
}

var httpMethods = []string{"get", "put", "post", "delete", "patch", "head", "options"}

// operation is one documented method on one path.
type operation struct {
	method, path string
	op           map[string]any
	params       []map[string]any // path item's and operation's, resolved
}

func (s spec) operations(t *testing.T) []operation {
	t.Helper()
	var out []operation
	paths, _ := s["paths"].(map[string]any)
	for path, v := range paths {
		item := s.resolve(t, v)
		for _, m := range httpMethods {
			op, ok := item[m].(map[string]any)
			if !ok {
				continue
			}
			o := operation{method: strings.ToUpper(m), path: path, op: op}
			for _, list := range []any{item["parameters"], op["parameters"]} {
				ps, _ := list.([]any)
				for _, p := range ps {
					o.params = append(o.params, s.resolve(t, p))
				}
			}
			out = append(out, o)
		}
	}
	return out
}

var restPattern = regexp.MustCompile(`\{(\w+)\.\.\.\}`)

func TestOpenAPIMatchesRoutes(t *testing.T) {
	s := loadSpec(t)
	api := New(Options{Store: nil, MetricsRequireToken: true})
	routes := map[string]Route{}
	for _, r := range api.Routes() {
		routes[r.Method+" "+restPattern.ReplaceAllString(r.Pattern, "{$1}")] = r
	}
	documented := map[string]operation{}
	for _, o := range s.operations(t) {
		documented[o.method+" "+o.path] = o
	}
	for key := range routes {
		if _, ok := documented[key]; !ok {
			t.Errorf("route %s is not in docs/openapi.json", key)
		}
	}
	for key, o := range documented {
		r, ok := routes[key]
		if !ok {
			t.Errorf("docs/openapi.json documents %s, which is not a route", key)
			continue
		}
		// Path parameters are declared, and only those.
		var declared []string
		for _, p := range o.params {
			if p["in"] == "path" {
				declared = append(declared, p["name"].(string))
			}
		}
		var inPath []string
		for _, m := range regexp.MustCompile(`\{(\w+)\}`).FindAllStringSubmatch(o.path, -1) {
			inPath = append(inPath, m[1])
		}
		slices.Sort(declared)
		slices.Sort(inPath)
		if !slices.Equal(declared, inPath) {
			t.Errorf("%s: path parameters declared %v, in the path %v", key, declared, inPath)
		}
		// Security says what the route asks for.
		sec, hasOwn := o.op["security"].([]any)
		if !hasOwn {
			sec, _ = s["security"].([]any)
		}
		needsNone := len(sec) == 0 || slices.ContainsFunc(sec, func(v any) bool { m, _ := v.(map[string]any); return len(m) == 0 })
		usesBearer := slices.ContainsFunc(sec, func(v any) bool { m, _ := v.(map[string]any); _, ok := m["bearerAuth"]; return ok })
		switch {
		case r.Pattern == "/metrics":
			if !usesBearer || !needsNone {
				t.Errorf("%s: security %v, want bearerAuth optional", key, sec)
			}
		case r.Auth && (needsNone || !usesBearer):
			t.Errorf("%s needs a token but documents security %v", key, sec)
		case !r.Auth && !needsNone:
			t.Errorf("%s needs no token but documents security %v", key, sec)
		}
		if r.Auth {
			if _, ok := o.op["responses"].(map[string]any)["401"]; !ok {
				t.Errorf("%s: 401 not documented", key)
			}
		}
	}
}

// happyQuery gives the query string that makes each route succeed on the
// fixture; path parameters come from the spec's examples.
var happyQuery = map[string]string{
	"DELETE /api/v1/shares/{name}/grants": "user=alice&at=/docs",
	"DELETE /api/v1/sessions/{id}":        "reason=maintenance",
	"GET /api/v1/audit":                   "since=2030-01-01T00:00:00Z&limit=50",
	"GET /api/v1/bans":                    "all=true",
}

// TestOpenAPIRoutesAnswer calls every documented operation on a real API,
// with the spec's examples, and checks it is served (neither "no such
// route" nor 405), succeeds, answers a documented status, and that a JSON
// answer fits its documented schema.
func TestOpenAPIRoutesAnswer(t *testing.T) {
	s := loadSpec(t)
	metrics := http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { fmt.Fprintln(w, "bulwark_up 1") })
	for _, o := range s.operations(t) {
		key := o.method + " " + o.path
		t.Run(key, func(t *testing.T) {
			t.Parallel()
			f := newFixture(t, func(opt *Options) { opt.Metrics, opt.MetricsRequireToken = metrics, true })
			ban := store.Ban{Prefix: "203.0.113.7/32", Reason: "example", First: start, Last: start, Level: 1, Manual: true}
			if err := f.st.SaveBan(context.Background(), ban); err != nil {
				t.Fatal(err)
			}
			f.expect(f.do("PATCH", "/api/v1/users/alice", `{"comment":"audited"}`), 200, "an audit entry to list")
			path := o.path
			for _, p := range o.params {
				if p["in"] != "path" {
					continue
				}
				ex, ok := p["example"]
				if !ok {
					t.Fatalf("path parameter %v has no example", p["name"])
				}
				path = strings.Replace(path, "{"+p["name"].(string)+"}", fmt.Sprint(ex), 1)
			}
			if q := happyQuery[key]; q != "" {
				path += "?" + q
			}
			body := ""
			if rb, ok := o.op["requestBody"].(map[string]any); ok {
				content, _ := s.resolve(t, rb)["content"].(map[string]any)
				media, _ := content["application/json"].(map[string]any)
				ex, ok := s.resolve(t, media["schema"])["example"]
				if !ok {
					t.Fatalf("request body schema has no example")
				}
				b, _ := json.Marshal(ex)
				body = string(b)
			}
			r := f.do(o.method, path, body)
			if r.code == http.StatusMethodNotAllowed || r.errText() == msgNoRoute {
				t.Fatalf("%s %s not served: %d %s", o.method, path, r.code, r)
			}
			if r.code >= 400 {
				t.Fatalf("%s %s: %d %s", o.method, path, r.code, r)
			}
			responses, _ := o.op["responses"].(map[string]any)
			doc, ok := responses[strconv.Itoa(r.code)]
			if !ok {
				t.Fatalf("%s %s answered %d, which is not documented", o.method, path, r.code)
			}
			content, _ := s.resolve(t, doc)["content"].(map[string]any)
			media, ok := content["application/json"].(map[string]any)
			if !ok {
				return
			}
			var v any
			if err := json.Unmarshal(r.body, &v); err != nil {
				t.Fatalf("answer is not JSON: %s", r)
			}
			for _, problem := range s.check(t, "answer", v, media["schema"]) {
				t.Error(problem)
			}
		})
	}
}

// check reports where v does not fit schema: wrong types, undeclared or
// missing required properties. It knows the parts of OpenAPI 3.0 the spec
// uses.
func (s spec) check(t *testing.T, at string, v any, schemaRef any) []string {
	sc := s.resolve(t, schemaRef)
	if sc == nil {
		return []string{at + ": no schema"}
	}
	if v == nil {
		if sc["nullable"] == true {
			return nil
		}
		return []string{at + ": null but not nullable"}
	}
	if all, ok := sc["allOf"].([]any); ok {
		// Merge the parts: properties of any part are declared.
		merged := map[string]any{"type": "object", "properties": map[string]any{}}
		var required []any
		for _, part := range all {
			p := s.resolve(t, part)
			if p["type"] != "object" {
				return s.check(t, at, v, p)
			}
			props, _ := p["properties"].(map[string]any)
			for k, pv := range props {
				merged["properties"].(map[string]any)[k] = pv
			}
			r, _ := p["required"].([]any)
			required = append(required, r...)
		}
		merged["required"] = required
		sc = merged
	}
	var problems []string
	switch sc["type"] {
	case "object":
		m, ok := v.(map[string]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want an object", at, v)}
		}
		props, _ := sc["properties"].(map[string]any)
		if props == nil {
			return nil // a free-form object
		}
		for k, pv := range m {
			ps, ok := props[k]
			if !ok {
				problems = append(problems, fmt.Sprintf("%s.%s: not documented", at, k))
				continue
			}
			problems = append(problems, s.check(t, at+"."+k, pv, ps)...)
		}
		req, _ := sc["required"].([]any)
		for _, k := range req {
			if _, ok := m[k.(string)]; !ok {
				problems = append(problems, fmt.Sprintf("%s.%s: required but missing", at, k))
			}
		}
	case "array":
		list, ok := v.([]any)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want an array", at, v)}
		}
		for i, e := range list {
			problems = append(problems, s.check(t, fmt.Sprintf("%s[%d]", at, i), e, sc["items"])...)
		}
	case "string":
		str, ok := v.(string)
		if !ok {
			return []string{fmt.Sprintf("%s: %T, want a string", at, v)}
		}
		if sc["format"] == "date-time" {
			if _, err := time.Parse(time.RFC3339, str); err != nil {
				problems = append(problems, fmt.Sprintf("%s: %q is not a date-time", at, str))
			}
		}
	case "integer", "number":
		n, ok := v.(float64)
		if !ok || sc["type"] == "integer" && n != float64(int64(n)) {
			return []string{fmt.Sprintf("%s: %v, want %s", at, v, sc["type"])}
		}
	case "boolean":
		if _, ok := v.(bool); !ok {
			return []string{fmt.Sprintf("%s: %T, want a boolean", at, v)}
		}
	default:
		problems = append(problems, fmt.Sprintf("%s: schema without a type", at))
	}
	return problems
}

// TestOpenAPIRefsResolve walks the whole document.
func TestOpenAPIRefsResolve(t *testing.T) {
	s := loadSpec(t)
	var walk func(v any)
	walk = func(v any) {
		switch x := v.(type) {
		case map[string]any:
			if _, ok := x["$ref"]; ok {
				s.resolve(t, x)
			}
			for _, e := range x {
				walk(e)
			}
		case []any:
			for _, e := range x {
				walk(e)
			}
		}
	}
	walk(map[string]any(s))
}
