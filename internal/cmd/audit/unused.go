package audit

import (
	"context"
	"fmt"
	"os"
	"runtime"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// auditUnusedHook gives `seiri audit` the unused-permission findings when
// the workspace has a usage store (90-day window); nil otherwise.
func auditUnusedHook(opts *AuditOptions, ws *workspace.Workspace, s *snapshot.Snapshot) func() []finding.Finding {
	if _, err := os.Stat(ws.UsageDB()); err != nil {
		return nil
	}
	return func() []finding.Finding {
		ctx := context.Background()
		st, err := usage.OpenReadOnly(ctx, ws.UsageDB())
		if err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "warning: usage store: %v; unused permissions not audited\n", err)
			return nil
		}
		defer st.Close()
		an, err := cmdutil.AnalyseStore(ctx, st, s, opts.Catalog(), opts.Now(), 90, "", false)
		if err != nil {
			fmt.Fprintf(opts.IO.ErrOut, "warning: %v; unused permissions not audited\n", err)
			return nil
		}
		ps := an.Model.Select("", "")
		an.Model.GrantedAll(ps, runtime.GOMAXPROCS(0))
		var rs []*leastpriv.PrincipalResult
		for _, p := range ps {
			rs = append(rs, an.Unused(p, false))
		}
		return leastpriv.Findings(rs)
	}
}
