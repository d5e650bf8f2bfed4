package audit

import (
	"context"

	"github.com/seiri-dev/seiri/internal/audit"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// Findings runs the audit of s exactly as `seiri audit` does (the rules of
// cfg, with the usage store's unused-permission findings and CloudTrail
// witness when the workspace has one, and the privilege-escalation rules);
// `seiri report` shows the same findings. Warnings go to opts.IO.ErrOut.
func Findings(opts *AuditOptions, cfg *config.Config, ws *workspace.Workspace, s *snapshot.Snapshot) *finding.Report {
	return audit.RunWith(s, cfg.Audit, opts.Now(), audit.Options{
		Only:     opts.Rules,
		Unused:   auditUnusedHook(opts, ws, s),
		Activity: auditActivity(context.Background(), opts, ws),
		Risk:     auditRiskHook(opts, s),
	})
}
