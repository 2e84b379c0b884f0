package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"net"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/store"
	"github.com/bulwark-ftp/bulwark/internal/store/sqlite"
)

// Exit codes.
const (
	exitOK    = 0
	exitError = 1
	exitUsage = 2
)

// defaultConfigFile is read from the working directory when --config is
// not given and the file exists.
const defaultConfigFile = "bulwark.toml"

// app is one run of the command line: its streams, the global flags and
// the seams tests use.
type app struct {
	stdin  *bufio.Reader
	stdout io.Writer
	stderr io.Writer
	// term is nil when standard input is not a terminal.
	term terminal
	// stdoutTTY says standard output is a terminal, where a secret may be
	// shown once; elsewhere (a service manager's journal, a pipe) it would
	// be kept.
	stdoutTTY bool

	configPath string
	dataDir    string

	// signals subscribes c to SIGHUP, SIGUSR1, SIGINT and SIGTERM and
	// returns a function that unsubscribes.
	signals func(c chan<- os.Signal) (stop func())
	// started, if set, is called once serve listens.
	started func(addrs []net.Addr)
	// adminStarted, if set, is then called with the admin API's address
	// ("" when it is off).
	adminStarted func(addr string)
	// now is the clock password aging and account expiry are judged by.
	now func() time.Time
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *app {
	in := bufio.NewReader(stdin)
	return &app{
		stdin:     in,
		stdout:    stdout,
		stderr:    stderr,
		term:      detectTerminal(stdin, in, stderr),
		stdoutTTY: isTerminal(stdout),
		signals:   notifySignals,
		now:       time.Now,
	}
}

func notifySignals(c chan<- os.Signal) func() {
	signal.Notify(c, syscall.SIGHUP, sigReopen, syscall.SIGINT, syscall.SIGTERM)
	return func() { signal.Stop(c) }
}

// newRootCmd builds the command tree reading from stdin and writing to
// stdout and stderr.
func newRootCmd(stdin io.Reader, stdout, stderr io.Writer) *cobra.Command {
	return newApp(stdin, stdout, stderr).rootCmd()
}

// run executes the command line args and returns the exit code.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	return newApp(stdin, stdout, stderr).run(context.Background(), args)
}

func (a *app) run(ctx context.Context, args []string) int {
	root := a.rootCmd()
	root.SetArgs(args)
	cmd, err := root.ExecuteContextC(ctx)
	if err == nil {
		return exitOK
	}
	var ec exitCode
	if errors.As(err, &ec) {
		return int(ec)
	}
	for line := range strings.SplitSeq(err.Error(), "\n") {
		// An indented line continues a list under the line before it
		// ("password refused:" and its reasons) and keeps its indent.
		if strings.HasPrefix(line, " ") {
			fmt.Fprintln(a.stderr, line)
			continue
		}
		fmt.Fprintf(a.stderr, "bulwark: %s\n", line)
	}
	var ue usageError
	if errors.As(err, &ue) {
		if cmd == nil {
			cmd = root
		}
		fmt.Fprintf(a.stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
		return exitUsage
	}
	return exitError
}

func (a *app) rootCmd() *cobra.Command {
	root := &cobra.Command{
		Use:           "bulwark",
		Short:         "Bulwark is a secure FTP/FTPS server",
		Long:          "Bulwark is a secure FTP/FTPS server. Run \"bulwark serve\" to start it, and \"bulwark user\", \"bulwark group\" and \"bulwark share\" to manage accounts, groups and shared folders, \"bulwark ban\" for banned addresses, and \"bulwark access check\" to test where from and when a user may log in. \"bulwark status\" and \"bulwark session\" show and act on the running server, \"bulwark audit list\" shows who changed what, and \"bulwark admin token\" manages access to the admin API.",
		SilenceErrors: true,
		SilenceUsage:  true,
		Args:          cobra.ArbitraryArgs,
		RunE:          groupRunE,
	}
	root.CompletionOptions.DisableDefaultCmd = true
	root.SetIn(a.stdin)
	root.SetOut(a.stdout)
	root.SetErr(a.stderr)
	root.SetFlagErrorFunc(func(_ *cobra.Command, err error) error { return usageError{err} })
	pf := root.PersistentFlags()
	pf.StringVar(&a.configPath, "config", "", "configuration `FILE` (default: "+defaultConfigFile+" in the working directory if it exists, else built-in defaults)")
	pf.StringVar(&a.dataDir, "data-dir", "", "data `DIR`, overriding data_dir of the configuration")
	root.AddCommand(a.serveCmd(), a.userCmd(), a.groupCmd(), a.shareCmd(), a.banCmd(), a.accessCmd(), a.configCmd(), a.versionCmd(),
		a.sessionCmd(), a.statusCmd(), a.auditCmd(), a.adminCmd())
	return root
}

// usageError marks errors that exit with code 2: the command line itself
// is wrong.
type usageError struct{ err error }

func (e usageError) Error() string { return e.err.Error() }
func (e usageError) Unwrap() error { return e.err }

// exitCode ends a command with that code and no message: the command has
// already said on standard output what there was to say (a refusal by
// "access check").
type exitCode int

func (e exitCode) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func usagef(format string, args ...any) error {
	return usageError{fmt.Errorf(format, args...)}
}

// groupRunE runs for a command that only groups others: any argument is a
// command that does not exist.
func groupRunE(cmd *cobra.Command, args []string) error {
	if len(args) == 0 {
		return usagef("%s: missing command", cmd.CommandPath())
	}
	return usagef("unknown command %q for %q", args[0], cmd.CommandPath())
}

// exactArgs is cobra.ExactArgs with a usage error naming the arguments.
func exactArgs(names ...string) cobra.PositionalArgs {
	return func(cmd *cobra.Command, args []string) error {
		if len(args) != len(names) {
			if len(names) == 0 {
				return usagef("%s takes no arguments", cmd.CommandPath())
			}
			return usagef("%s needs %s", cmd.CommandPath(), strings.Join(names, " "))
		}
		return nil
	}
}

// loadConfig reads the configuration: --config, else bulwark.toml in the
// working directory if present, else the defaults; then --data-dir. It
// returns the file used ("" for the defaults).
func (a *app) loadConfig() (*config.Config, string, error) {
	path := a.configPath
	if path == "" {
		if _, err := os.Stat(defaultConfigFile); err == nil {
			path = defaultConfigFile
		} else if !errors.Is(err, fs.ErrNotExist) {
			return nil, "", err
		}
	}
	cfg := config.Default()
	if path != "" {
		var err error
		if cfg, err = config.Load(path); err != nil {
			return nil, "", err
		}
	}
	if a.dataDir != "" {
		cfg.DataDir = a.dataDir
		if err := cfg.Validate(); err != nil {
			return nil, "", err
		}
	}
	return cfg, path, nil
}

// openStore creates the data directory if needed and opens the account
// store in it.
func openStore(ctx context.Context, cfg *config.Config) (store.Store, error) {
	if err := os.MkdirAll(cfg.DataDir, 0o700); err != nil {
		return nil, fmt.Errorf("data_dir: %w", err)
	}
	st, err := sqlite.Open(ctx, cfg.DatabasePath())
	if err != nil {
		return nil, err
	}
	return st, nil
}
