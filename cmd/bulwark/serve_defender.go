package main

import (
	"context"
	"log/slog"
	"reflect"

	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

// warnDefender logs the [defender] settings that loosen the server's
// defence, and accounts that can never log in because their name is a
// honeypot (they were created before the name was listed).
func warnDefender(ctx context.Context, cfg *config.Config, st store.Store, logger *slog.Logger) {
	if !cfg.Defender.Enabled {
		logger.Warn("defender.enabled is false: no attack scoring, no bans (stored bans are not enforced), " +
			"no honeypot names and no account protection; only the connection caps apply")
		return
	}
	users, err := st.ListUsers(ctx)
	if err != nil {
		logger.Warn("checking account names against defender.honeypot_users failed", "err", err)
		return
	}
	for _, u := range users {
		if cfg.Defender.IsHoneypot(u.Name) {
			logger.Warn("account name is in defender.honeypot_users: its logins are refused and ban the client; "+
				"remove the name from the list or use another account", "user", u.Name)
		}
	}
}

// changedKeys lists the keys of a configuration section (a struct with toml
// tags) whose values differ between old and cur, as "section.key".
func changedKeys(section string, old, cur any) []string {
	ov, cv := reflect.ValueOf(old), reflect.ValueOf(cur)
	var keys []string
	for i := range ov.NumField() {
		tag := ov.Type().Field(i).Tag.Get("toml")
		if tag == "" {
			continue
		}
		if !reflect.DeepEqual(ov.Field(i).Interface(), cv.Field(i).Interface()) {
			keys = append(keys, section+"."+tag)
		}
	}
	return keys
}
