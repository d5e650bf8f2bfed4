package daily

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/detect"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/trail"
)

// ---------------------------------------------------------------------------
// DETECT ADAPTER — the one place seiri daily calls internal/detect.
//
// internal/detect (issue 17 §1, being built at the same time) has today only
// the record-by-record engine (detect.New, Observe, Findings) and no pass
// over scanned logs, so this adapter reads the log objects today's scan
// opened (exactly the new ones) a second time and feeds their records to
// the engine. When detect's own entry point over newly scanned logs lands,
// the lead replaces the body of suspiciousUse with one call to it (passing
// the sources and objects, or the scan run, it wants) and deletes
// eventOf/readObject; nothing else in this package changes.
// ---------------------------------------------------------------------------

// maxLogBytes bounds one decompressed log file read here (the scanner's
// own default cap).
const maxLogBytes = 2 << 30

// suspiciousUse runs the detection rules over the new log objects and
// returns their findings, what was used and what could not be read.
func suspiciousUse(ctx context.Context, objs []sourceObjects, _ *config.Config) (fs []finding.Finding, used, couldNot []string, err error) {
	d := detect.New(detect.Config{})
	var rec trail.Record
	files := 0
	for _, so := range objs {
		for _, o := range so.objs {
			if err := ctx.Err(); err != nil {
				return nil, used, couldNot, err
			}
			data, err := readObject(ctx, so.src, o)
			if err != nil {
				couldNot = append(couldNot, fmt.Sprintf("%s/%s: %v", so.src.Name(), o.Key, err))
				continue
			}
			bad := 0
			if _, err := trail.ScanLog(data, &rec, func(r *trail.Record) {
				e := eventOf(r)
				d.Observe(&e)
			}, func(int, string) { bad++ }); err != nil {
				couldNot = append(couldNot, fmt.Sprintf("%s/%s: %v", so.src.Name(), o.Key, err))
			}
			if bad > 0 {
				couldNot = append(couldNot, fmt.Sprintf("%s/%s: %d elements that are not records skipped", so.src.Name(), o.Key, bad))
			}
			files++
		}
	}
	st := d.Stats()
	for _, f := range d.Findings() {
		fs = append(fs, f.Report())
	}
	used = append(used, fmt.Sprintf("%d new log files, %d events, %d rules (internal/detect via the daily adapter)", files, st.Events, len(detect.Rules())))
	und := 0
	for _, n := range st.Undetermined {
		und += n
	}
	if und > 0 {
		used = append(used, fmt.Sprintf("%d events could not be judged: fields the scanner does not read yet (undetermined, not clean)", und))
	}
	return fs, used, couldNot, nil
}

func readObject(ctx context.Context, src trail.Source, o trail.Object) ([]byte, error) {
	rc, err := src.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	raw, err := io.ReadAll(io.LimitReader(rc, maxLogBytes+1))
	if err != nil {
		return nil, err
	}
	if len(raw) >= 2 && raw[0] == 0x1f && raw[1] == 0x8b {
		zr, err := gzip.NewReader(bytes.NewReader(raw))
		if err != nil {
			return nil, err
		}
		raw, err = io.ReadAll(io.LimitReader(zr, maxLogBytes+1))
		if err != nil {
			return nil, err
		}
	}
	if len(raw) > maxLogBytes {
		return nil, fmt.Errorf("larger than %d bytes decompressed", maxLogBytes)
	}
	return raw, nil
}

// eventOf copies the fields the rules read out of a scanner record
// (trail.Record carries no eventID, additionalEventData nor full
// requestParameters yet: those stay empty, absent rather than "no").
func eventOf(r *trail.Record) detect.Event {
	e := detect.Event{
		Source: string(r.EventSource), Name: string(r.EventName), Type: string(r.EventType), Region: string(r.AWSRegion),
		SourceIP: string(r.SourceIP), UserAgent: string(r.UserAgent), ErrorCode: string(r.ErrorCode), Account: string(r.RecipientAccount),
		IdentityType: string(r.Identity.Type), ARN: string(r.Identity.ARN), AccessKeyID: string(r.Identity.AccessKeyID),
		UserName: string(r.Identity.UserName), InvokedBy: string(r.Identity.InvokedBy), IssuerARN: string(r.Identity.IssuerARN),
		ReqUserName: string(r.Req.UserName),
	}
	if t, err := time.Parse(time.RFC3339, string(r.EventTime)); err == nil {
		e.Time = t.UTC()
	}
	return e
}
