package cmdutil

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// LoadAnalysis opens the snapshot and the usage store and attributes the
// window's usage. principal, when set, limits the rows read to its
// account's principals; calls keeps resources (policy generation).
func LoadAnalysis(ctx context.Context, ws *workspace.Workspace, snapRef string, cat *catalog.Catalog, now time.Time, days int, principal string, calls bool) (*leastpriv.Analysis, error) {
	if days < 1 {
		return nil, BadInputf("--days %d: must be at least 1", days)
	}
	s, err := snapshot.Load(ws.SnapshotsDir(), snapRef)
	if err != nil {
		return nil, BadInput(err)
	}
	st, err := OpenUsageStore(ctx, ws)
	if err != nil {
		return nil, err
	}
	defer st.Close()
	return AnalyseStore(ctx, st, s, cat, now, days, principal, calls)
}

// OpenUsageStore opens the workspace's usage store: read-only (creating
// nothing) when the workspace was opened by ReadWorkspace. A missing store
// is bad input naming what to run.
func OpenUsageStore(ctx context.Context, ws *workspace.Workspace) (*usage.Store, error) {
	if _, err := os.Lstat(ws.UsageDB()); errors.Is(err, fs.ErrNotExist) {
		return nil, BadInputf("no usage store at %s: run `seiri trail scan` first", ws.UsageDB())
	}
	if ws.ReadOnly {
		st, err := usage.OpenReadOnly(ctx, ws.UsageDB())
		if err != nil && errors.Is(err, fs.ErrNotExist) {
			return nil, BadInput(err)
		}
		return st, err
	}
	return usage.OpenReadOnly(ctx, ws.UsageDB())
}

// PrincipalPrefix is "arn:PARTITION:iam::ACCOUNT:" of a user or role ARN
// (sessions of its roles are stored under the role), or "".
func PrincipalPrefix(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" || parts[4] == "" {
		return ""
	}
	return "arn:" + parts[1] + ":iam::" + parts[4] + ":"
}

func AnalyseStore(ctx context.Context, st *usage.Store, s *snapshot.Snapshot, cat *catalog.Catalog, now time.Time, days int, principal string, calls bool) (*leastpriv.Analysis, error) {
	tot, err := st.Totals(ctx)
	if err != nil {
		return nil, fmt.Errorf("usage store %s: %w", st.Path(), err)
	}
	w := leastpriv.NewWindow(now.UTC(), days, tot.FirstSeen, tot.LastSeen)
	m := leastpriv.NewModel(s, cat)
	m.Now = now
	rows, rowsErr := leastpriv.ReadUsage(ctx, st.Path(), leastpriv.StoreQuery{Since: w.Start, PrincipalPrefix: PrincipalPrefix(principal), ByAction: !calls})
	u := m.Attribute(rows, w, calls)
	if err := rowsErr(); err != nil {
		return nil, err
	}
	return leastpriv.NewAnalysis(m, u), nil
}

// SnapshotLine names the snapshot a report is computed from, for the first
// line of table output: its name, when it was collected, its source and
// how many accounts it holds (and how many could not be collected).
func SnapshotLine(s *snapshot.Snapshot) string {
	failed := 0
	for _, a := range s.Manifest.Accounts {
		if a.Failed() {
			failed++
		}
	}
	line := fmt.Sprintf("snapshot %s: collected %s", filepath.Base(s.Dir), s.Manifest.FinishedAt.UTC().Format(time.RFC3339))
	if s.Manifest.Source != "" {
		line += " (" + s.Manifest.Source + ")"
	}
	line += fmt.Sprintf(", %d accounts", len(s.Manifest.Accounts)-failed)
	if failed > 0 {
		line += fmt.Sprintf(" (%d not collected)", failed)
	}
	return line
}
