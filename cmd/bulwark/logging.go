package main

import (
	"fmt"
	"io"
	"log/slog"
	"os"

	"github.com/bulwark-ftp/bulwark/internal/config"
)

// newLogger builds the logger [log] describes. The level can be changed
// later through the returned LevelVar (on SIGHUP); format and file need a
// restart. close releases the log file, if any.
func newLogger(cfg *config.Config, stderr io.Writer) (logger *slog.Logger, level *slog.LevelVar, close func() error, err error) {
	w := stderr
	close = func() error { return nil }
	if cfg.Log.File != "" {
		path := cfg.Resolve(cfg.Log.File)
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o640)
		if err != nil {
			return nil, nil, nil, fmt.Errorf("log.file: %w", err)
		}
		w, close = f, f.Close
	}
	level = new(slog.LevelVar)
	level.Set(cfg.Log.SlogLevel())
	opts := &slog.HandlerOptions{Level: level}
	var h slog.Handler
	if cfg.Log.Format == "json" {
		h = slog.NewJSONHandler(w, opts)
	} else {
		h = slog.NewTextHandler(w, opts)
	}
	return slog.New(h), level, close, nil
}
