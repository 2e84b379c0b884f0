package main

import (
	"context"
	"log/slog"
	"reflect"
	"slices"
	"strings"

	"github.com/bulwark-ftp/bulwark/internal/audit"
	"github.com/bulwark-ftp/bulwark/internal/config"
	"github.com/bulwark-ftp/bulwark/internal/store"
)

// reloadActor names a configuration reload in the audit trail: whoever
// edited the file and sent SIGHUP is not known to the server.
const reloadActor = "system:reload"

// changedConfigKeys lists the keys ("server.banner", "data_dir") whose
// values differ between old and cur. The configuration holds no secrets
// (only paths to them), so the names are safe to record.
func changedConfigKeys(old, cur *config.Config) []string {
	a, b := reflect.ValueOf(old).Elem(), reflect.ValueOf(cur).Elem()
	var out []string
	for i := range a.NumField() {
		name, _, _ := strings.Cut(a.Type().Field(i).Tag.Get("toml"), ",")
		av, bv := a.Field(i).Interface(), b.Field(i).Interface()
		if a.Field(i).Kind() == reflect.Struct {
			out = append(out, changedKeys(name, av, bv)...)
		} else if !reflect.DeepEqual(av, bv) {
			out = append(out, name)
		}
	}
	slices.Sort(out)
	return out
}

// auditReload is a reloader that records in the audit trail which keys a
// reload changed (nothing is recorded when none did).
func (a *app) auditReload(st store.Store, logger *slog.Logger) reloader {
	return func(old, cur *config.Config) error {
		changed := changedConfigKeys(old, cur)
		if len(changed) == 0 {
			return nil
		}
		if err := audit.Record(context.Background(), st, a.now(), reloadActor, "config.reload", "",
			nil, map[string][]string{"changed": changed}); err != nil {
			logger.Warn("recording the reload in the audit trail failed", "err", err)
		}
		return nil
	}
}
