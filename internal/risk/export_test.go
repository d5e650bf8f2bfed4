package risk

import (
	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Test shorthands over the production entry points (kept out of the
// binary: deadcode found them unused there).

// Analyze builds the escalation graph of s.
func Analyze(s *snapshot.Snapshot, cat *catalog.Catalog, opts Options) *Analysis {
	return AnalyzeModel(leastpriv.NewModel(s, cat), opts)
}

// Opening returns, for every principal with a path, the permissions that
// open it (OpeningActions).
func (an *Analysis) Opening() map[string][]string {
	out := map[string][]string{}
	for _, n := range an.Nodes {
		if as := an.OpeningActions(n.P.ARN); len(as) > 0 {
			out[n.P.ARN] = as
		}
	}
	return out
}
