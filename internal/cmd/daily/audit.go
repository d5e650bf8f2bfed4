package daily

import (
	"bytes"
	"strings"

	auditcmd "github.com/seiri-dev/seiri/internal/cmd/audit"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// auditReport is seiri audit's own report over snap (auditcmd.Report: the
// rules, the usage store's CloudTrail witness and unused permissions,
// privilege escalation paths, the open detection findings), so the
// routine's audit count is the one `seiri audit` gives on the same
// workspace. What the audit says on stderr (the witness and detection
// notes, warnings) comes back as notes for the step's report.
func (r *runner) auditReport(snap *snapshot.Snapshot) (*finding.Report, []string, error) {
	var errOut bytes.Buffer
	opts := &auditcmd.AuditOptions{
		IO:        &cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &errOut},
		Workspace: func() (*workspace.Workspace, error) { return r.ws, nil },
		Config:    r.o.Config,
		Now:       r.o.Now,
		Catalog:   r.o.Catalog,
	}
	rep, err := auditcmd.Report(opts, r.ws, snap, r.cfg.Audit)
	if err != nil {
		return nil, nil, err
	}
	var notes []string
	for _, l := range strings.Split(strings.TrimSpace(errOut.String()), "\n") {
		// The detection line names the workspace's temporary folder (an S3
		// workspace is a local copy); the step's count line says the same.
		if l = strings.TrimSpace(strings.TrimPrefix(l, "warning: ")); l != "" && !strings.HasPrefix(l, "detection: ") {
			notes = append(notes, l)
		}
	}
	return rep, notes, nil
}
