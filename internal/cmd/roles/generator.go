package roles

import (
	"os"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	groupscmd "github.com/seiri-dev/seiri/internal/cmd/groups"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// leastPrivilegeAnalysis is the analysis `policy generate` runs (the same
// snapshot as the command, 90 days of usage), so that `roles suggest` hands
// each role the policy that generator proves. Without a usage store it is
// nil: roles then writes no policy and says why.
func leastPrivilegeAnalysis(e *groupscmd.Env, ws *workspace.Workspace, snapRef string) (*leastpriv.Analysis, error) {
	if _, err := os.Stat(ws.UsageDB()); err != nil {
		return nil, nil
	}
	return cmdutil.LoadAnalysis(e.Context, ws, snapRef, e.Catalog(), e.Now(), 90, "", true)
}
