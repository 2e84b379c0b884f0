package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"
	"sync"

	"github.com/bulwark-ftp/bulwark/internal/config"
)

// logFileMode is the mode a new log file gets: the log names users and
// client addresses, so only the service's group may read it.
const logFileMode = 0o640

// newLogger builds the logger [log] describes. The level can be changed
// later through the returned LevelVar (on SIGHUP); format and file need a
// restart. out is where the log goes: it is reopened on SIGUSR1 and closed
// when serve ends.
func newLogger(cfg *config.Config, stderr io.Writer) (logger *slog.Logger, level *slog.LevelVar, out *logOutput, err error) {
	out = &logOutput{w: stderr}
	if cfg.Log.File != "" {
		if out, err = openLogOutput("log.file", cfg.Resolve(cfg.Log.File)); err != nil {
			return nil, nil, nil, err
		}
	}
	level = new(slog.LevelVar)
	level.Set(cfg.Log.SlogLevel())
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(out, opts)
	} else {
		h = slog.NewTextHandler(out, opts)
	}
	return slog.New(h), level, out, nil
}

// logOutput is a log destination shared by every goroutine that logs. When
// it is a file, Reopen opens the file at its path again: logrotate renames
// the file and sends SIGUSR1, and new lines must go to the new file while
// no line is split between the two.
type logOutput struct {
	key  string // the configuration key naming the file, for errors
	path string // "" for a stream that cannot be reopened (stderr)

	mu sync.Mutex
	w  io.Writer
	f  *os.File // nil for a stream
}

// openLogOutput opens (appending, creating if needed) the file at path;
// key names its configuration key in errors.
func openLogOutput(key, path string) (*logOutput, error) {
	f, err := openAppend(path)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", key, err)
	}
	return &logOutput{key: key, path: path, w: f, f: f}, nil
}

func openAppend(path string) (*os.File, error) {
	return os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, logFileMode)
}

// Write writes one record. slog hands each record over in one Write call,
// so holding the lock for the call keeps records whole across a Reopen.
func (o *logOutput) Write(p []byte) (int, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.w.Write(p)
}

// Reopen switches to the file now at the path. If it cannot be opened the
// current file stays in use, so no line is lost, and the error says why.
// A stream is left as it is.
func (o *logOutput) Reopen() error {
	if o.path == "" {
		return nil
	}
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return nil // closed: serve is ending
	}
	f, err := openAppend(o.path)
	if err != nil {
		return fmt.Errorf("%s: %w", o.key, err)
	}
	old := o.f
	o.w, o.f = f, f
	return old.Close()
}

// Close closes the file; a stream is left open for its owner.
func (o *logOutput) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	if o.f == nil {
		return nil
	}
	err := o.f.Close()
	o.w, o.f = io.Discard, nil
	return err
}
