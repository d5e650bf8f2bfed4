package leastpriv

import (
	"context"
	"iter"
	"time"

	"github.com/seiri-dev/seiri/internal/usage"
)

// StoreQuery selects what ReadUsage reads.
type StoreQuery struct {
	Since time.Time
	// PrincipalPrefix keeps principals starting with it (an account's
	// "arn:aws:iam::123456789012:"), through the store's principal index.
	PrincipalPrefix string
	// ByAction folds rows per (account, principal, action) in SQLite: what
	// the unused analysis needs, without resources (no policy generation).
	//
	// It reads the store's usage_by_action summary, folded at commit time
	// without access keys and resources (see usage.AuthzQuery.ByAction).
	ByAction bool

	noSummary bool // tests: the GROUP BY over the usage rows, as before schema 3
}

// ReadUsage streams the successful authorization rows of the usage store at
// path whose last use is in the window (usage.StreamAuthz: only the columns
// the analysis needs, unordered, read-only; the store's general Usage query
// materializes every column of every row, docs/bench-leastpriv.md).
//
// The returned function reports the first error met while iterating.
func ReadUsage(ctx context.Context, path string, q StoreQuery) (iter.Seq[*usage.Row], func() error) {
	return usage.StreamAuthz(ctx, path, usage.AuthzQuery{Since: q.Since, PrincipalPrefix: q.PrincipalPrefix, ByAction: q.ByAction, NoSummary: q.noSummary})
}
