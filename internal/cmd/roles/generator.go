package roles

import (
	"encoding/json"
	"errors"
	"os"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/roles"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// leastPrivilegeGenerator lets `roles suggest` hand each role the policy
// `policy generate` proves (the latest snapshot, 90 days of usage). Without
// a usage store, or for a principal with no recorded use, it answers nothing
// and roles falls back to its own usage-based policy.
func leastPrivilegeGenerator(f *cmdutil.Factory) roles.PolicyGenerator {
	var an *leastpriv.Analysis
	var loadErr error
	loaded := false
	return func(arn string) ([]byte, error) {
		if !loaded {
			loaded = true
			ws, err := f.ReadWorkspace()
			if err != nil {
				loadErr = err
			} else if _, err := os.Stat(ws.UsageDB()); err == nil {
				an, loadErr = cmdutil.LoadAnalysis(f.Context, ws, snapshot.Latest, f.Catalog(), f.Now(), 90, "", true)
			}
		}
		if loadErr != nil {
			return nil, loadErr
		}
		if an == nil {
			return nil, nil
		}
		p := an.Model.Lookup(arn)
		if p == nil {
			return nil, nil
		}
		g, err := an.Generate(p, leastpriv.GenerateOptions{})
		if errors.Is(err, leastpriv.ErrNoUsage) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		// A role's inline policy holds more than a managed policy: one
		// document with every generated statement.
		doc := leastpriv.Document{Version: "2012-10-17"}
		for _, d := range g.Policies {
			doc.Statement = append(doc.Statement, d.Statement...)
		}
		return json.MarshalIndent(doc, "", "  ")
	}
}
