package roles

import (
	"os"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/leastpriv"
)

// leastPrivilegeAnalysis is the analysis `policy generate` runs (the same
// snapshot as the command, 90 days of usage), so that `roles suggest` hands
// each role the policy that generator proves. Without a usage store it is
// nil: roles then writes no policy and says why.
func leastPrivilegeAnalysis(f *cmdutil.Factory, snapRef string) (*leastpriv.Analysis, error) {
	ws, err := f.ReadWorkspace()
	if err != nil {
		return nil, err
	}
	if _, err := os.Stat(ws.UsageDB()); err != nil {
		return nil, nil
	}
	return cmdutil.LoadAnalysis(f.Context, ws, snapRef, f.Catalog(), f.Now(), 90, "", true)
}
