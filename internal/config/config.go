// Package config holds Bulwark's configuration: its TOML form, the
// defaults, and the checks that stop start-up with the name of the key at
// fault.
package config

import (
	"errors"
	"fmt"
	"path/filepath"
	"slices"
	"strings"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration. Every section has a Validate method
// whose errors name the full key ("passive.ports: ...").
type Config struct {
	// DataDir holds the database, the self-signed certificate and the
	// default home directories. A relative path is relative to the working
	// directory.
	DataDir string `toml:"data_dir"`

	Server       Server       `toml:"server"`
	TLS          TLS          `toml:"tls"`
	Passive      Passive      `toml:"passive"`
	Active       Active       `toml:"active"`
	Auth         Auth         `toml:"auth"`
	PasswordHash PasswordHash `toml:"password_hash"`
	// PasswordPolicy is filled by Load from the preset it names for every
	// key the file does not set.
	PasswordPolicy PasswordPolicy `toml:"password_policy"`
	Users          Users          `toml:"users"`
	Defender       Defender       `toml:"defender"`
	Access         Access         `toml:"access"`
	Admin          Admin          `toml:"admin"`
	Log            Log            `toml:"log"`
}

// Default returns the built-in configuration. It is valid as it is.
func Default() *Config {
	return &Config{
		DataDir:        "bulwark-data",
		Server:         defaultServer(),
		TLS:            defaultTLS(),
		Passive:        defaultPassive(),
		Active:         Active{Enabled: true},
		Auth:           defaultAuth(),
		PasswordHash:   defaultPasswordHash(),
		PasswordPolicy: defaultPasswordPolicy(),
		Users:          Users{CreateFirstUser: true, HomeRoot: "homes"},
		Defender:       defaultDefender(),
		Access:         defaultAccess(),
		Admin:          defaultAdmin(),
		Log:            Log{Format: "text", Level: "info"},
	}
}

// Load reads the TOML file at path over the defaults and validates the
// result. Keys the file sets that Bulwark does not know are an error naming
// each of them, so that a misspelt key never goes unnoticed. The
// [password_policy] keys the file does not set take the values of the
// preset it names (password_policy.preset), not the built-in defaults.
func Load(path string) (*Config, error) {
	cfg := Default()
	md, err := toml.DecodeFile(path, cfg)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if unknown := md.Undecoded(); len(unknown) > 0 {
		keys := make([]string, 0, len(unknown))
		for _, k := range unknown {
			keys = append(keys, k.String())
		}
		slices.Sort(keys)
		return nil, fmt.Errorf("%s: unknown configuration key(s): %s", path, strings.Join(keys, ", "))
	}
	cfg.PasswordPolicy.applyPreset(md)
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return cfg, nil
}

// Validate checks every section and returns all problems found, one per
// line.
func (c *Config) Validate() error {
	var errs []error
	if strings.TrimSpace(c.DataDir) == "" {
		errs = append(errs, errors.New("data_dir: must not be empty"))
	}
	errs = append(errs,
		c.Server.Validate(),
		c.TLS.Validate(),
		c.Passive.Validate(),
		c.Auth.Validate(),
		c.PasswordHash.Validate(),
		c.PasswordPolicy.Validate(),
		c.Users.Validate(),
		c.Defender.Validate(),
		c.Access.Validate(),
		c.Admin.Validate(),
		c.Log.Validate(),
	)
	return errors.Join(errs...)
}

// Resolve returns p relative to the data directory; absolute paths and ""
// are returned unchanged.
func (c *Config) Resolve(p string) string {
	if p == "" || filepath.IsAbs(p) {
		return p
	}
	return filepath.Join(c.DataDir, p)
}

// DefaultHome is the home directory a new user gets when none is given:
// <data_dir>/<users.home_root>/<name>.
func (c *Config) DefaultHome(name string) string {
	return filepath.Join(c.Resolve(c.Users.HomeRoot), name)
}

// DatabasePath is where the SQLite account store lives.
func (c *Config) DatabasePath() string { return c.Resolve("bulwark.db") }

// TLSDir is where the self-signed certificate lives.
func (c *Config) TLSDir() string { return c.Resolve("tls") }

// PassiveRange returns passive.ports as numbers; both are 0 when the value
// is invalid (Validate reports it).
func (c *Config) PassiveRange() (low, high int) {
	low, high, err := parsePortRange(c.Passive.Ports)
	if err != nil {
		return 0, 0
	}
	return low, high
}
