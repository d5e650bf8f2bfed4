package groups

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// UsageReader is where Load reads recorded usage from: the workspace's
// usage store (*usage.Store).
type UsageReader interface {
	Usage(ctx context.Context, q usage.Query) ([]usage.Row, error)
}

// LoadQuery says what Load reads: the accounts of the snapshot (Account:
// only that one) and the usage recorded since Since.
type LoadQuery struct {
	Account string
	Since   time.Time
	// Store is the usage store; nil when the workspace has none, and usage
	// is then unknown (never "nothing used").
	Store UsageReader
	// StorePath names the store (also the absent one) in the notes.
	StorePath string
}

// Selection is what the groups, roles and Identity Center analyses read:
// accounts of a snapshot and the recorded usage of their principals.
type Selection struct {
	Snap     *snapshot.Snapshot
	Accounts []*snapshot.Account
	// Rows are the usage rows of the accounts; nil: no usage store, usage
	// unknown; empty: a store that recorded nothing for them.
	Rows []usage.Row
	// Since is the start of the usage window (usage read from it to now).
	Since time.Time
	// Usage is the store the usage came from ("" when there is none).
	Usage string
	// UsageNote says where the usage came from, or why it is unknown and
	// what to run.
	UsageNote string
}

// UnknownAccountError is a LoadQuery.Account the snapshot does not hold.
type UnknownAccountError struct {
	Account, Snapshot string
}

func (e *UnknownAccountError) Error() string {
	return fmt.Sprintf("--account %s: not in snapshot %s", e.Account, e.Snapshot)
}

// Load selects the accounts of s and reads their usage from q.Store. The
// usage of a demo snapshot is what its CloudTrail logs record once scanned,
// like any other: without a store it is unknown, never made up here.
func Load(ctx context.Context, s *snapshot.Snapshot, q LoadQuery) (*Selection, error) {
	sel := &Selection{Snap: s}
	for _, a := range s.Accounts {
		if q.Account == "" || a.AccountID == q.Account {
			sel.Accounts = append(sel.Accounts, a)
		}
	}
	if q.Account != "" && len(sel.Accounts) == 0 {
		return nil, &UnknownAccountError{Account: q.Account, Snapshot: filepath.Base(s.Dir)}
	}
	switch {
	case q.Store != nil:
		for _, a := range sel.Accounts {
			rows, err := q.Store.Usage(ctx, usage.Query{Account: a.AccountID, Since: q.Since})
			if err != nil {
				return nil, err
			}
			sel.Rows = append(sel.Rows, rows...)
		}
		if sel.Rows == nil {
			sel.Rows = []usage.Row{}
		}
		sel.Since, sel.Usage = q.Since.UTC(), q.StorePath
		sel.UsageNote = "usage from " + q.StorePath + " since " + q.Since.UTC().Format(time.RFC3339)
	case s.Manifest.Source == "demo":
		sel.UsageNote = "no usage store " + q.StorePath + ": unused-permission checks skipped (the demo's usage comes from its CloudTrail logs: run seiri demo without --no-trail, or seiri trail scan)"
	default:
		sel.UsageNote = "no usage store " + q.StorePath + " (run seiri trail scan): unused-permission checks skipped"
	}
	return sel, nil
}

// Used returns the actions each principal of the account used successfully
// (nil when no usage is known). An account without a single usage row counts
// as unknown, not as "nothing used": a trail that does not cover it must not
// make every permission look unused.
func (sel *Selection) Used(account string) map[string]ActionSet {
	if sel.Rows == nil {
		return nil
	}
	return UsedActions(sel.Rows, account)
}

// Judge is the effective-permission computation over the selection's
// snapshot: leastpriv's (SCPs and permissions boundaries included), the one
// every analysis uses.
func (sel *Selection) Judge(cat *catalog.Catalog, now time.Time) Effective {
	m := leastpriv.NewModel(sel.Snap, cat)
	m.Now = now
	return Judge(m)
}
