package audit

import (
	"fmt"
	"io"
	"path/filepath"

	detectcmd "github.com/seiri-dev/seiri/internal/cmd/detect"
	"github.com/seiri-dev/seiri/internal/detect"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// addDetections adds the workspace's open detection findings (seiri detect,
// trail scan --detect) and their rules to the audit report, so one report
// and one --fail-on gate cover both. Acknowledged findings are left out and
// counted on errOut. Nothing is added when no detection has run, or when
// --rule limits the audit to some of its own rules.
func addDetections(ws *workspace.Workspace, rep *finding.Report, only []string, errOut io.Writer) error {
	if len(only) > 0 {
		return nil
	}
	dir := filepath.Join(ws.Dir, detect.StateDir)
	st, err := detect.LoadState(dir)
	if err != nil {
		return fmt.Errorf("detection state: %w", err)
	}
	if st.LastRun == nil && len(st.Findings) == 0 {
		return nil
	}
	acks, err := detect.LoadAcks(dir)
	if err != nil {
		return fmt.Errorf("detection acknowledgements: %w", err)
	}
	open, acked := st.Open(acks)
	d := detectcmd.Report(open)
	have := map[string]bool{}
	for _, r := range rep.Rules {
		have[r.ID] = true
	}
	for _, r := range d.Rules {
		if !have[r.ID] {
			rep.Rules = append(rep.Rules, r)
		}
	}
	rep.Findings = append(rep.Findings, d.Findings...)
	fmt.Fprintf(errOut, "detection: %d open findings from %s added", len(open), dir)
	if acked > 0 {
		fmt.Fprintf(errOut, "; %d acknowledged left out", acked)
	}
	fmt.Fprintln(errOut)
	return nil
}
