//go:build !unix

package main

import (
	"errors"
	"log/slog"

	"github.com/bulwark-ftp/bulwark/internal/config"
)

// privDrop does nothing where there are no Unix accounts to switch to.
type privDrop struct{}

func planPrivDrop(cfg *config.Config) (*privDrop, error) {
	if cfg.Server.RunAsUser != "" || cfg.Server.RunAsGroup != "" {
		return nil, errors.New("server.run_as_user: switching accounts is supported on Unix only; leave run_as_user and run_as_group empty")
	}
	return &privDrop{}, nil
}

func (*privDrop) apply(*config.Config, *slog.Logger) error { return nil }
