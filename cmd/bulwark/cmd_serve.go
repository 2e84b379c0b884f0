package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/metrics"
	"github.com/bulwark-ftp/bulwark/internal/server"
	"github.com/bulwark-ftp/bulwark/internal/xferlog"
)

// serveFlags are the serve options that override configuration keys.
type serveFlags struct {
	flags          *pflag.FlagSet
	listen         string
	implicitListen string
	passivePorts   string
	publicAddress  string
	adminListen    string
}

func (a *app) serveCmd() *cobra.Command {
	var sf serveFlags
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the FTPS server",
		Long: "Run the FTPS server in the foreground. SIGHUP reloads the configuration file\n" +
			"and the certificate without dropping any session (data_dir, log.format,\n" +
			"log.file, log.transfer_log, server.run_as_user, server.run_as_group and\n" +
			"defender.enabled need a restart); SIGTERM or SIGINT stop accepting\n" +
			"connections and let running transfers finish for up to\n" +
			"server.shutdown_timeout. SIGUSR1 reopens the log files (for logrotate).",
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
	f.StringVar(&sf.adminListen, "admin-listen", "", "admin API `ADDR` (HOST:PORT or unix:/path); \"\" disables (admin.listen)")
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
	set("admin-listen", &cfg.Admin.Listen, sf.adminListen)
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
	drop, err := planPrivDrop(cfg)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return fmt.Errorf("data_dir: %w", err)
	}
	logger, level, logOut, err := newLogger(cfg, a.stderr)
	if err != nil {
		return err
	}
	defer logOut.Close()
	logs := reopeners{logOut}

	st, err := openStore(ctx, cfg)
	if err != nil {
		return err
	}
	defer st.Close()

	first, pw, err := createFirstUser(ctx, cfg, st, logger, a.now())
	if err != nil {
		return fmt.Errorf("creating the first user: %w", err)
	}
	warnLoosened(cfg, logger)
	warnDefender(ctx, cfg, st, logger)

	m := metrics.New(version)
	opts := []server.Option{server.WithVersion(version), server.WithMetrics(m)}
	if cfg.Log.TransferLog != "" {
		xfer, err := xferlog.Open(cfg.Resolve(cfg.Log.TransferLog), xferlog.WithLogger(logger))
		if err != nil {
			return fmt.Errorf("log.transfer_log: %w", err)
		}
		defer xfer.Close()
		logs = append(logs, xfer)
		opts = append(opts, server.WithTransferLog(xfer))
	}
	// Every listener (FTP and admin API) is bound before root is given
	// up, and none serves before: no client is ever served as root.
	var api *adminListener
	opts = append(opts, server.WithBeforeServe(func() error {
		if err := api.listen(cfg.Admin); err != nil {
			return err
		}
		return drop.apply(cfg, logger)
	}))
	srv, err := server.New(cfg, st, logger, opts...)
	if err == nil {
		api = newAdminListener(srv, st, m.Handler(), logger)
		defer func() {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			api.shutdown(ctx)
		}()
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
	api.serve()
	source := path
	if source == "" {
		source = "built-in defaults"
	}
	logger.Info("bulwark started", "version", version, "config", source, "data_dir", cfg.DataDir)
	if a.started != nil {
		a.started(srv.Addrs())
	}
	if a.adminStarted != nil {
		a.adminStarted(api.Addr())
	}

	// SIGHUP applies a new configuration to the server, then to each of
	// these in turn.
	reloaders := []reloader{
		func(_, cur *config.Config) error { level.Set(cur.Log.SlogLevel()); return nil },
		api.reload,
		a.auditReload(st, logger),
		func(_, cur *config.Config) error { warnLoosened(cur, logger); return nil },
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
				cfg = a.reload(srv, sf, cfg, logger, reloaders)
				continue
			}
			if sig == sigReopen {
				logs.reopen(logger)
				continue
			}
		}
		return shutdown(srv, cfg, logger, sig)
	}
}

// warnLoosened logs the settings that trade security for something else,
// at start-up and after every reload, so that loosening is never silent.
func warnLoosened(cfg *config.Config, logger *slog.Logger) {
	if cfg.TLS.Policy == config.PolicyOptional {
		logger.Warn("tls.policy is optional: clients may log in without TLS, sending passwords in clear text")
	}
	if !cfg.Server.FsyncUploads {
		logger.Warn("server.fsync_uploads is false: a completed upload may be lost on power failure")
	}
}

// reloader applies a part of a new configuration on SIGHUP, after the
// server took its own (server.Reload). old is the configuration in force
// until now. A reloader that fails must leave its part as it was; its
// error is logged and the rest of the new configuration stays in force.
type reloader func(old, cur *config.Config) error

// reload re-reads the configuration and applies it: to the server first,
// which takes it whole or not at all, then to each reloader. When the file
// or the server refuses it, the running configuration stays and the server
// keeps serving. It returns the configuration now in force.
func (a *app) reload(srv *server.Server, sf *serveFlags, old *config.Config, logger *slog.Logger, reloaders []reloader) *config.Config {
	logger.Info("SIGHUP: reloading the configuration")
	cfg, _, err := a.serveConfig(sf)
	if err != nil {
		logger.Error("reload failed; the running configuration stays", "err", err)
		return old
	}
	restart := keepRestartKeys(old, cfg)
	if err := srv.Reload(cfg); err != nil {
		logger.Error("reload failed; the running configuration stays", "err", err)
		return old
	}
	for _, r := range reloaders {
		if err := r(old, cfg); err != nil {
			logger.Error("reload: a part of the new configuration was not applied and stays as it was", "err", err)
		}
	}
	if len(restart) > 0 {
		logger.Warn("changed settings take effect only after a restart", "keys", restart)
	}
	logger.Info("configuration reloaded")
	return cfg
}

// keepRestartKeys puts back in cfg the running values of the keys that
// only a restart can change, and returns those that differed. The rest
// of cfg can be applied while running.
func keepRestartKeys(old, cfg *config.Config) []string {
	var keys []string
	keep := func(key, running string, next *string) {
		if *next != running {
			keys = append(keys, key)
			*next = running
		}
	}
	keep("data_dir", old.DataDir, &cfg.DataDir)
	keep("server.run_as_user", old.Server.RunAsUser, &cfg.Server.RunAsUser)
	keep("server.run_as_group", old.Server.RunAsGroup, &cfg.Server.RunAsGroup)
	if cfg.Defender.Enabled != old.Defender.Enabled {
		keys = append(keys, "defender.enabled")
		cfg.Defender.Enabled = old.Defender.Enabled
	}
	keep("log.format", old.Log.Format, &cfg.Log.Format)
	keep("log.file", old.Log.File, &cfg.Log.File)
	keep("log.transfer_log", old.Log.TransferLog, &cfg.Log.TransferLog)
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
