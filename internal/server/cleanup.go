package server

import (
	"context"
	"path/filepath"
	"time"

	"github.com/bulwark-ftp/bulwark/internal/vfs"
)

// staleUploadAge is how long an unfinished upload's temporary file must have
// been untouched before start-up cleanup removes it. A running upload keeps
// writing to its file, so one left behind by a crash is the only kind that
// ages; the margin covers a second server sharing the same homes.
const staleUploadAge = time.Hour

// cleanStaleUploads removes temporary upload files that a crash or a killed
// process left in the users' homes. The previous versions of those files were
// never touched, so nothing is lost.
func (s *Server) cleanStaleUploads() {
	users, err := s.store.ListUsers(context.Background())
	if err != nil {
		s.logger.Warn("stale upload cleanup skipped", "err", err)
		return
	}
	for _, u := range users {
		home := u.Home
		if !filepath.IsAbs(home) {
			home = s.cfg.Resolve(home)
		}
		n, err := vfs.CleanStaleUploads(home, staleUploadAge, s.now())
		if err != nil {
			s.logger.Debug("stale upload cleanup", "user", u.Name, "err", err)
			continue
		}
		if n > 0 {
			s.logger.Info("removed stale upload files", "user", u.Name, "count", n)
		}
	}
}
