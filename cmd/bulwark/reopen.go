package main

import "log/slog"

// reopener is a log file that can be opened again at its path.
type reopener interface{ Reopen() error }

// reopeners are the log files serve reopens on SIGUSR1, after logrotate
// (or an administrator) has moved them away: the main log, the transfer
// log. A file that cannot be reopened stays in use.
type reopeners []reopener

// reopen reopens every file. The first line goes to the old files, the
// last to the new ones, so both show where one ends and the other begins.
func (r reopeners) reopen(logger *slog.Logger) {
	logger.Info("SIGUSR1: reopening log files")
	failed := 0
	for _, f := range r {
		if err := f.Reopen(); err != nil {
			failed++
			logger.Error("reopening a log file failed; writing on to the file already open", "err", err)
		}
	}
	if failed == 0 {
		logger.Info("log files reopened")
	}
}
