package audit

import (
	"context"
	"fmt"
	"os"

	"github.com/seiri-dev/seiri/internal/audit"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/risk"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// auditActivity reads the CloudTrail witness of the inactivity and
// unused-key rules from the usage store: nil without a store (the audit then
// says CloudTrail was not scanned, never "no use").
func auditActivity(ctx context.Context, opts *AuditOptions, ws *workspace.Workspace) *audit.Activity {
	if _, err := os.Stat(ws.UsageDB()); err != nil {
		return nil
	}
	st, err := usage.OpenReadOnly(ctx, ws.UsageDB())
	if err != nil {
		fmt.Fprintf(opts.IO.ErrOut, "warning: usage store: %v; CloudTrail not used as a witness\n", err)
		return nil
	}
	defer st.Close()
	rows, err := st.Usage(ctx, usage.Query{})
	if err == nil {
		var runs []usage.Run
		if runs, err = st.Runs(ctx, 0); err == nil {
			return audit.ActivityFromUsage(rows, runs)
		}
	}
	fmt.Fprintf(opts.IO.ErrOut, "warning: usage store: %v; CloudTrail not used as a witness\n", err)
	return nil
}

// auditRiskHook gives `seiri audit` the privilege-escalation findings,
// decided by the policy engine over the snapshot (internal/risk).
func auditRiskHook(opts *AuditOptions, s *snapshot.Snapshot) func() []finding.Finding {
	return func() []finding.Finding {
		var targets []string
		if cfg, err := opts.Config(); err == nil {
			targets = cfg.Audit.HighValuePrincipals
		}
		an := risk.AnalyzeModel(leastpriv.NewModel(s, opts.Catalog()), risk.Options{Targets: targets})
		for _, t := range an.Unknown {
			fmt.Fprintf(opts.IO.ErrOut, "warning: audit.high_value_principals: %q is not a user or role of the snapshot\n", t)
		}
		for _, p := range an.Problems {
			fmt.Fprintf(opts.IO.ErrOut, "warning: privilege escalation: %s (paths through it may be missing)\n", p)
		}
		return audit.PrivescFindings(an)
	}
}
