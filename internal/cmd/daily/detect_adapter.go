package daily

import (
	"context"
	"fmt"
	"maps"
	"slices"

	"github.com/seiri-dev/seiri/internal/detect"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/trail"
)

// suspiciousUse runs the detection pass of `seiri detect` (internal/detect)
// over exactly the log objects today's scan read, with the workspace's
// detection state: the baseline learned from the usage store and earlier
// days, duplicate suppression across runs and the acknowledgements. It
// returns this run's new, unacknowledged findings (a finding raised again
// or acknowledged is not news), what was used and what could not be done.
func (r *runner) suspiciousUse(ctx context.Context) (fs []finding.Finding, used, couldNot []string, err error) {
	// Notes (no usage store to learn from, AWS's ranges only the built-in
	// sample) are said, but do not make the step partial.
	var notes []string
	in, done, err := r.o.DetectInputs(ctx, r.ws, func(s string) { notes = append(notes, "note: "+s) })
	defer done()
	if err != nil {
		return nil, nil, couldNot, err
	}
	in.Only = map[string][]trail.Object{}
	for _, so := range r.newObjects {
		in.Sources = append(in.Sources, so.src)
		in.Only[so.src.Name()] = append(in.Only[so.src.Name()], so.objs...)
	}
	res, err := detect.Run(ctx, in)
	if err != nil {
		return nil, nil, couldNot, err
	}
	for _, l := range res.Findings {
		if l.New && l.Ack == nil {
			fs = append(fs, l.Finding.Report())
		}
	}
	ri := res.Run
	used = append(used, fmt.Sprintf("%d new log objects (%d judged before), %d records judged; baseline: %s; %d open detection findings, %d acknowledged",
		ri.Objects, ri.Skipped, ri.Records, ri.Baseline, len(res.Open), res.Acked))
	for _, u := range ri.Unreadable {
		couldNot = append(couldNot, "unreadable: "+u)
	}
	if ri.BadRecords > 0 {
		couldNot = append(couldNot, fmt.Sprintf("%d elements that are not records skipped", ri.BadRecords))
	}
	used = append(used, notes...)
	ids := slices.Sorted(maps.Keys(ri.NotEvaluated))
	for _, id := range ids {
		used = append(used, fmt.Sprintf("%s not evaluated: %s", id, ri.NotEvaluated[id]))
	}
	return fs, used, couldNot, nil
}
