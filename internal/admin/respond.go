package admin

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// errorBody is every error answer: plain words, no internals.
type errorBody struct {
	Error string `json:"error"`
}

// Messages of the mux's own answers; a test tells "no such route" from
// "no such user" by them.
const (
	msgNoRoute   = "no such route"
	msgNoMethod  = "method not allowed on this route"
	msgInternal  = "internal error"
	msgBadToken  = "authentication required: send a valid admin token as \"Authorization: Bearer TOKEN\""
	msgReadOnly  = "this token may only read: changes need a token made without --read-only"
	msgTooLarge  = "request body too large"
	msgEmptyBody = "request body is empty: send a JSON object"
)

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		// Only our own view types are encoded; this is a bug, not input.
		code, b = http.StatusInternalServerError, []byte(`{"error":"internal error"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

func writeError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, errorBody{Error: msg})
}

// internalError logs err, which may hold host paths or SQL, and answers
// 500 without it.
func (a *API) internalError(w http.ResponseWriter, r *http.Request, err error) {
	a.log.Error("admin api: request failed", "method", r.Method, "path", r.URL.Path, "remote", r.RemoteAddr, "err", err)
	writeError(w, http.StatusInternalServerError, msgInternal)
}

// decodeBody reads one JSON object of at most maxBodyBytes into v,
// refusing unknown fields. On failure it answers the client and returns
// false.
func decodeBody(w http.ResponseWriter, r *http.Request, v any) bool {
	if r.ContentLength > maxBodyBytes {
		writeError(w, http.StatusRequestEntityTooLarge, msgTooLarge)
		return false
	}
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, maxBodyBytes))
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		// One object only: trailing data is a malformed request.
		var extra json.RawMessage
		if err2 := dec.Decode(&extra); err2 != io.EOF {
			err = errTrailing
			if err2 != nil && !isSyntax(err2) {
				err = err2
			}
		}
	}
	if err == nil {
		return true
	}
	code, msg := http.StatusBadRequest, bodyErrorText(err)
	var tooLarge *http.MaxBytesError
	if errors.As(err, &tooLarge) {
		code, msg = http.StatusRequestEntityTooLarge, msgTooLarge
	}
	writeError(w, code, msg)
	return false
}

var errTrailing = errors.New("trailing data")

func isSyntax(err error) bool {
	var se *json.SyntaxError
	return errors.As(err, &se)
}

// bodyErrorText says what is wrong with a body in words that name the
// field but not Go types.
func bodyErrorText(err error) string {
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return msgEmptyBody
	case errors.Is(err, errTrailing):
		return "request body must hold exactly one JSON object"
	case errors.As(err, &typeErr):
		if typeErr.Field == "" {
			return "request body must be a JSON object"
		}
		return fmt.Sprintf("field %q: wrong type (want %s)", typeErr.Field, jsonKind(typeErr.Type.Kind().String()))
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + strings.TrimPrefix(err.Error(), "json: unknown field ")
	default:
		return "request body is not valid JSON"
	}
}

func jsonKind(goKind string) string {
	switch goKind {
	case "bool":
		return "true or false"
	case "string":
		return "a string"
	case "int", "int64", "float64":
		return "a number"
	case "slice":
		return "an array"
	default:
		return "an object"
	}
}

// statusWriter remembers whether the answer has begun, so that a panic
// after it is not followed by a second header.
type statusWriter struct {
	http.ResponseWriter
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	w.wrote = true
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	return w.ResponseWriter.Write(b)
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// muxErrorWriter turns the mux's plain-text 404 and 405 answers into JSON,
// keeping their headers (Allow).
type muxErrorWriter struct {
	http.ResponseWriter
	replaced bool
}

func (w *muxErrorWriter) WriteHeader(code int) {
	if code < 400 {
		w.ResponseWriter.WriteHeader(code)
		return
	}
	w.replaced = true
	msg := http.StatusText(code)
	switch code {
	case http.StatusNotFound:
		msg = msgNoRoute
	case http.StatusMethodNotAllowed:
		msg = msgNoMethod
	}
	writeError(w.ResponseWriter, code, msg)
}

func (w *muxErrorWriter) Write(b []byte) (int, error) {
	if w.replaced {
		return len(b), nil
	}
	return w.ResponseWriter.Write(b)
}
