package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"syscall"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/server"
)

// serveFlags are the serve options that override configuration keys.
type serveFlags struct {
	flags          *pflag.FlagSet
	listen         string
	implicitListen string
	passivePorts   string
	publicAddress  string
}

func (a *app) serveCmd() *cobra.Command {
	var sf serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the FTPS server",
		Long: "Run the FTPS server in the foreground. SIGHUP reloads the configuration file\n" +
			"and the certificate; SIGTERM or SIGINT stop accepting connections and let\n" +
			"running transfers finish for up to server.shutdown_timeout.",
		Args: exactArgs(),
		RunE: func(cmd *cobra.Command, _ []string) error {
			sf.flags = cmd.Flags()
			return a.serve(cmd.Context(), &sf)
		},
	}
	f := cmd.Flags()
	f.StringVar(&sf.listen, "listen", "", "explicit FTPS `ADDR` (server.listen)")
	f.StringVar(&sf.implicitListen, "implicit-listen", "", "implicit FTPS `ADDR`; \"\" disables (server.implicit_listen)")
	f.StringVar(&sf.passivePorts, "passive-ports", "", "passive port range `LOW-HIGH` (passive.ports)")
	f.StringVar(&sf.publicAddress, "public-address", "", "`HOST` or IP announced in PASV replies (passive.public_address)")
	return cmd
}

// config loads the configuration and applies the flags given. Flags are
// told apart from their zero value with Changed, so --implicit-listen=""
// disables the implicit listener.
func (a *app) serveConfig(sf *serveFlags) (*config.Config, string, error) {
	cfg, path, err := a.loadConfig()
	if err != nil {
		return nil, "", err
	}
	set := func(name string, dst *string, v string) {
		if sf.flags.Changed(name) {
			*dst = v
		}
	}
	set("listen", &cfg.Server.Listen, sf.listen)
	set("implicit-listen", &cfg.Server.ImplicitListen, sf.implicitListen)
	set("passive-ports", &cfg.Passive.Ports, sf.passivePorts)
	set("public-address", &cfg.Passive.PublicAddress, sf.publicAddress)
	if err := cfg.Validate(); err != nil {
		return nil, "", err
	}
	return cfg, path, nil
}

func (a *app) serve(ctx context.Context, sf *serveFlags) error {
	cfg, path, err := a.serveConfig(sf)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data_dir: %w", err)
	}
	logger, level, closeLog, err := newLogger(cfg, a.stderr)
	if err != nil {
		return err
	}
	defer closeLog()

	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	first, pw, err := createFirstUser(ctx, cfg, st, logger, a.now())
	if err != nil {
		return fmt.Errorf("creating the first user: %w", err)
	}
	if cfg.TLS.Policy == config.PolicyOptional {
		logger.Warn("tls.policy is optional: clients may log in without TLS, sending passwords in clear text")
	}
	if !cfg.Server.FsyncUploads {
		logger.Warn("server.fsync_uploads is false: a completed upload may be lost on power failure")
	}
	warnDefender(ctx, cfg, st, logger)

	srv, err := server.New(cfg, st, logger)
	if err == nil {
		err = srv.Start()
	}
	if first != nil {
		// Shown even when start-up failed: the account exists now and
		// its password is never shown again.
		var addrs []net.Addr
		if srv != nil && err == nil {
			addrs = srv.Addrs()
		}
		if err := a.announceFirstUser(cfg, logger, first, pw, addrs); err != nil {
			return err
		}
	}
	if err != nil {
		return err
	}
	source := path
	if source == "" {
		source = "built-in defaults"
	}
	logger.Info("bulwark started", "version", version, "config", source, "data_dir", cfg.DataDir)
	if a.started != nil {
		a.started(srv.Addrs())
	}

	sigs := make(chan os.Signal, 1)
	stop := a.signals(sigs)
	defer stop()
	for {
		var sig os.Signal
		select {
		case <-ctx.Done():
		case sig = <-sigs:
			if sig == syscall.SIGHUP {
				cfg = a.reload(srv, sf, cfg, logger, level)
				continue
			}
		}
		return shutdown(srv, cfg, logger, sig)
	}
}

// reload re-reads the configuration and hands it to the server. On any
// error the running configuration stays, and the server keeps serving.
func (a *app) reload(srv *server.Server, sf *serveFlags, old *config.Config, logger *slog.Logger, level *slog.LevelVar) *config.Config {
	logger.Info("SIGHUP: reloading configuration and certificate")
	cfg, _, err := a.serveConfig(sf)
	if err != nil {
		logger.Error("reload failed; the running configuration stays", "err", err)
		return old
	}
	if err := srv.Reload(cfg); err != nil {
		logger.Error("reload failed; the running configuration stays", "err", err)
		return old
	}
	level.Set(cfg.Log.SlogLevel())
	if keys := restartKeys(old, cfg); len(keys) > 0 {
		logger.Warn("changed settings take effect only after a restart", "keys", keys)
	}
	logger.Info("configuration reloaded")
	return cfg
}

// restartKeys lists the changed keys that a reload cannot apply.
func restartKeys(old, cfg *config.Config) []string {
	var keys []string
	check := func(key string, changed bool) {
		if changed {
			keys = append(keys, key)
		}
	}
	check("data_dir", old.DataDir != cfg.DataDir)
	check("server.listen", old.Server.Listen != cfg.Server.Listen)
	check("server.implicit_listen", old.Server.ImplicitListen != cfg.Server.ImplicitListen)
	check("server.fsync_uploads", old.Server.FsyncUploads != cfg.Server.FsyncUploads)
	check("log.format", old.Log.Format != cfg.Log.Format)
	check("log.file", old.Log.File != cfg.Log.File)
	keys = append(keys, changedKeys("defender", old.Defender, cfg.Defender)...)
	return keys
}

func shutdown(srv *server.Server, cfg *config.Config, logger *slog.Logger, sig os.Signal) error {
	reason := "context done"
	if sig != nil {
		reason = sig.String()
	}
	timeout := cfg.Server.ShutdownTimeout.Duration
	logger.Info("shutting down; running transfers may finish", "reason", reason, "timeout", timeout.String())
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	err := srv.Shutdown(ctx)
	if errors.Is(err, context.DeadlineExceeded) {
		logger.Warn("shutdown timeout reached; remaining sessions were closed")
		err = nil
	}
	if err != nil {
		return fmt.Errorf("shutdown: %w", err)
	}
	logger.Info("stopped")
	return nil
}
