package audit

import (
	"time"

	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Run audits s with no options (a test shorthand for RunWith).
func Run(s *snapshot.Snapshot, cfg config.Audit, now time.Time) *finding.Report {
	return RunWith(s, cfg, now, Options{})
}
