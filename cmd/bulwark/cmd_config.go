package main

import (
	"fmt"
	"io"
	"runtime"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/certs"
	"github.com/bulwark-ftp/bulwark/internal/config"
)

func (a *app) configCmd() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Check or print the configuration",
		Args:  cobra.ArbitraryArgs,
		RunE:  groupRunE,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "check",
		Short: "Load and validate the configuration",
		Long: "Load and validate the configuration (--config, or bulwark.toml in the working\n" +
			"directory, or the defaults) and the certificate files it names. Exits 1 on\n" +
			"any problem, naming the key at fault.",
		Args: exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			cfg, path, err := a.loadConfig()
			if err != nil {
				return err
			}
			if cfg.TLS.CertFile != "" {
				if _, _, err := certs.LoadOrCreate("", cfg.TLS.CertFile, cfg.TLS.KeyFile, nil); err != nil {
					return fmt.Errorf("tls: %w", err)
				}
			}
			if path == "" {
				path = "built-in defaults"
			}
			fmt.Fprintf(a.stdout, "configuration OK (%s)\n", path)
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "default",
		Short: "Print the commented default configuration",
		Long:  "Print the commented default configuration, a starting point for bulwark.toml.",
		Args:  exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			_, err := io.WriteString(a.stdout, config.Example())
			return err
		},
	})
	return cmd
}

func (a *app) versionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the version",
		Args:  exactArgs(),
		RunE: func(*cobra.Command, []string) error {
			fmt.Fprintf(a.stdout, "bulwark %s (%s %s/%s)\n", version, runtime.Version(), runtime.GOOS, runtime.GOARCH)
			return nil
		},
	}
}
