package org

import (
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"time"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// After an apply the snapshot's organization is out of date: planning from
// it would repeat the applied changes until the next collect. org apply
// therefore reads the organization again when it is done and keeps it in
// the workspace; org plan and org stage plan from the newer of that and
// the snapshot, and say which one.

// refreshedOrganization is the organization org apply read after applying.
type refreshedOrganization struct {
	ReadAt       time.Time              `json:"readAt"`
	Plan         string                 `json:"plan"`
	Organization *snapshot.Organization `json:"organization"`
}

func refreshedPath(dir string) string { return filepath.Join(dir, "organization-after-apply.json") }

// saveRefreshed keeps the organization read after an apply (0600: it
// holds account names and emails).
func saveRefreshed(wsF func() (*workspace.Workspace, error), now func() time.Time, log *slog.Logger, o *snapshot.Organization, planFile string) error {
	ws, err := wsF()
	if err != nil {
		return err
	}
	data, err := json.Marshal(refreshedOrganization{ReadAt: now().UTC(), Plan: planFile, Organization: o})
	if err != nil {
		return err
	}
	tmp := refreshedPath(ws.Dir) + ".tmp"
	if err := os.WriteFile(tmp, data, 0o600); err != nil {
		return err
	}
	log.Debug("organization after the apply kept", "path", refreshedPath(ws.Dir))
	return os.Rename(tmp, refreshedPath(ws.Dir))
}

// baseOrganization is the organization a plan starts from: the snapshot's,
// or the one read after the last apply when that is newer and the snapshot
// was not named explicitly. basedOn says which, for the plan's reader.
func baseOrganization(wsF func() (*workspace.Workspace, error), log *slog.Logger, ref string) (o *snapshot.Organization, basedOn string, err error) {
	ws, err := wsF()
	if err != nil {
		return nil, "", err
	}
	s, err := snapshot.Load(ws.SnapshotsDir(), ref)
	if err != nil {
		return nil, "", cmdutil.BadInput(err)
	}
	if s.Organization == nil {
		return nil, "", cmdutil.BadInputf("snapshot %s has no organization (collected without Organizations access?)", s.Dir)
	}
	basedOn = fmt.Sprintf("snapshot %s (collected %s)", filepath.Base(s.Dir), s.Manifest.FinishedAt.UTC().Format(time.RFC3339))
	if ref != snapshot.Latest && ref != "" {
		return s.Organization, basedOn, nil
	}
	data, err := os.ReadFile(refreshedPath(ws.Dir))
	if errors.Is(err, os.ErrNotExist) {
		log.Debug("no organization read after an apply", "path", refreshedPath(ws.Dir))
		return s.Organization, basedOn, nil
	}
	log.Debug("organization read after an apply", "path", refreshedPath(ws.Dir))
	if err != nil {
		return nil, "", err
	}
	var r refreshedOrganization
	if err := json.Unmarshal(data, &r); err != nil || r.Organization == nil {
		return nil, "", fmt.Errorf("%s: not an organization read by org apply (%v); delete it to plan from the snapshot", refreshedPath(ws.Dir), err)
	}
	if !r.ReadAt.After(s.Manifest.FinishedAt) || r.Organization.ID != s.Organization.ID {
		return s.Organization, basedOn, nil
	}
	// The snapshot's organization collects more than apply reads (access
	// reports, delegated administrators): keep those from the snapshot.
	o = r.Organization
	if o.AccessReports == nil {
		o.AccessReports = s.Organization.AccessReports
	}
	if o.DelegatedAdmins == nil {
		o.DelegatedAdmins = s.Organization.DelegatedAdmins
	}
	return o, fmt.Sprintf("the organization read after org apply %s at %s (newer than %s)", r.Plan, r.ReadAt.Format(time.RFC3339), basedOn), nil
}
