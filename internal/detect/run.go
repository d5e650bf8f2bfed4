package detect

import (
	"bufio"
	"bytes"
	"container/heap"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// Inputs are what one detection pass reads. Only the logs are required.
type Inputs struct {
	// Sources are the CloudTrail log sources (trail.DirSource, or the S3 /
	// LookupEvents sources of internal/trail/source).
	Sources []trail.Source
	// Filter bounds the window (Since/Until by event time), accounts and
	// regions; records outside it are counted, not judged.
	Filter trail.Filter
	// Only, when set, limits a source to these object keys (by source
	// name): `trail scan --detect` passes the objects the scan just read.
	Only map[string][]trail.Object
	// Config are the thresholds (zero fields take Defaults).
	Config Config
	// Store seeds the baseline when the state has none yet: the usage
	// rows first seen before the first judged event. nil: the baseline
	// starts empty (every credential learns for MinHistory first).
	Store *usage.Store
	// Ranges are AWS's address ranges (the workload rule); nil: that rule
	// is not evaluated.
	Ranges AWSRanges
	// Country and ASN are the offline IP databases (seiri.yaml
	// detect.ip_country_db / detect.ip_asn_db); nil: that rule is not
	// evaluated, and the run says which key to set.
	Country, ASN *IPDB
	// StateDir is the workspace's detection folder (StateDir): the
	// baseline, the objects already judged, the findings raised and the
	// acknowledgements. "": no state, every object is judged, nothing kept.
	StateDir string
	// Rejudge judges objects an earlier run judged (their findings come
	// out again, marked as duplicates).
	Rejudge bool
	// Reorder is how late (behind the end of the objects read) a record
	// may come and still be judged in time order; 0: DefaultReorder. A
	// record later than that is judged when it comes (counted in
	// RunInfo.Late).
	Reorder time.Duration
	// Now stamps the run.
	Now time.Time
	// MaxFileBytes caps a decompressed log file (default 2 GiB).
	MaxFileBytes int64
}

// Result is one pass's outcome.
type Result struct {
	// Findings are this run's findings, new and repeated, each with its
	// acknowledgement when it has one.
	Findings []Listed `json:"findings"`
	// Open are all unacknowledged findings the state holds (this run's
	// and earlier ones); Acked counts the acknowledged ones.
	Open  []Listed `json:"open"`
	Acked int      `json:"acknowledged"`
	Run   RunInfo  `json:"run"`
}

// Run is the detection pass: it lists every source inside the filter,
// reads the objects not judged yet, sorts their records by time, judges
// them with every rule (the baseline rules against the baseline that
// precedes them), records the findings in the state (duplicates of
// earlier runs are marked, acknowledgements attached) and saves it.
func Run(ctx context.Context, in Inputs) (*Result, error) {
	if len(in.Sources) == 0 {
		return nil, errors.New("detect: no log source")
	}
	cfg := in.Config.withDefaults()
	st := &State{Version: StateVersion, Judged: map[string]map[string]string{}, Findings: map[string]*Stored{}}
	acks := map[string]Ack{}
	if in.StateDir != "" {
		unlock, err := lockState(in.StateDir)
		if err != nil {
			return nil, err
		}
		defer unlock()
		if st, err = LoadState(in.StateDir); err != nil {
			return nil, err
		}
		if acks, err = LoadAcks(in.StateDir); err != nil {
			return nil, err
		}
	}
	info := RunInfo{At: in.Now.UTC(), Since: in.Filter.Since, Until: in.Filter.Until, NotEvaluated: map[string]string{}}
	maxBytes := in.MaxFileBytes
	if maxBytes <= 0 {
		maxBytes = 2 << 30
	}
	reorder := in.Reorder
	if reorder <= 0 {
		reorder = DefaultReorder
	}

	// The objects to judge, from every source, each with the time its
	// records end by (the delivery time in a CloudTrail key).
	var todo []pending
	for si, src := range in.Sources {
		name := src.Name()
		info.Sources = append(info.Sources, name)
		objs := in.Only[name]
		if in.Only == nil {
			l, err := src.List(ctx, &in.Filter)
			if err != nil {
				return nil, fmt.Errorf("list %s: %w", name, err)
			}
			for _, e := range l.Errors {
				info.Unreadable = append(info.Unreadable, "list "+e.Error())
			}
			objs = l.Objects
		}
		judged := st.Judged[name]
		if judged == nil {
			judged = map[string]string{}
			st.Judged[name] = judged
		}
		for oi, o := range objs {
			mark := o.ETag + "|" + strconv.FormatInt(o.Size, 10)
			if judged[o.Key] == mark && !in.Rejudge {
				info.Skipped++
				continue
			}
			todo = append(todo, pending{src: si, obj: oi, o: o, mark: mark, ends: objectEnd(o.Key)})
		}
	}
	// Objects are read in the order their records end; the records wait in
	// a buffer ordered by (time, source, object, record) — the order a
	// sort of all of them would give — and are judged once no object still
	// to be read can hold an earlier one: older than the next object's end
	// minus the reorder window. Memory is the buffer (the reorder window's
	// records) plus the rules' windowed state, not the corpus. Objects
	// without a delivery time in their key (a folder of exports) cannot be
	// placed: then every record waits for the end, as a whole sort does.
	timed := true
	for _, p := range todo {
		if p.ends.IsZero() {
			timed = false
		}
	}
	if timed {
		slices.SortStableFunc(todo, func(a, b pending) int { return a.ends.Compare(b.ends) })
	} else if len(todo) > 0 {
		info.Streaming = "off: some object keys carry no delivery time; every record was held and sorted before judging"
	}

	var d *Detector
	var buf eventHeap
	var last time.Time // the newest event judged so far
	judge := func(e *Event) error {
		if d == nil {
			// The baseline: the state's, else seeded from the usage store
			// with the rows first seen before the first judged event.
			var err error
			if d, err = startDetector(ctx, &in, cfg, st, &info, e); err != nil {
				return err
			}
		}
		if e != nil {
			if e.Time.Before(last) {
				info.Late++
			} else {
				last = e.Time
			}
			d.Observe(e)
			info.Records++
		}
		return nil
	}
	var intern interner
	var rec trail.Record
	for i, p := range todo {
		src := in.Sources[p.src]
		data, err := readObject(ctx, src, p.o, maxBytes)
		if err != nil {
			info.Unreadable = append(info.Unreadable, p.o.Key+": "+err.Error())
			continue
		}
		n := 0
		_, err = trail.ScanLog(data, &rec, func(r *trail.Record) {
			e := fromRecord(r, &intern)
			n++
			if e.Time.IsZero() || (!in.Filter.Since.IsZero() && e.Time.Before(in.Filter.Since)) ||
				(!in.Filter.Until.IsZero() && !e.Time.Before(in.Filter.Until)) {
				info.Outside++
				return
			}
			heap.Push(&buf, seqEvent{Event: e, src: p.src, obj: p.obj, rec: n})
		}, func(int, string) { info.BadRecords++ })
		if err != nil && !errors.Is(err, trail.ErrEmpty) {
			info.Unreadable = append(info.Unreadable, p.o.Key+": "+err.Error())
			if !errors.Is(err, trail.ErrNotJSON) && !errors.Is(err, trail.ErrNotCloudTrail) {
				continue // a syntax error: records before it were kept, the object is read again next time
			}
		}
		st.Judged[src.Name()][p.o.Key] = p.mark
		info.Objects++
		if !timed || i+1 == len(todo) {
			continue
		}
		until := todo[i+1].ends.Add(-reorder)
		for buf.Len() > 0 && buf[0].Time.Before(until) {
			e := heap.Pop(&buf).(seqEvent).Event
			if err := judge(&e); err != nil {
				return nil, err
			}
		}
		if buf.Len() > info.MaxBuffered {
			info.MaxBuffered = buf.Len()
		}
	}
	if buf.Len() > info.MaxBuffered {
		info.MaxBuffered = buf.Len()
	}
	for buf.Len() > 0 {
		e := heap.Pop(&buf).(seqEvent).Event
		if err := judge(&e); err != nil {
			return nil, err
		}
	}
	if d == nil {
		if err := judge(nil); err != nil {
			return nil, err
		}
	}
	if info.Streaming == "" {
		info.Streaming = "on: objects read in delivery order, records judged in time order through a " + reorder.String() + " reorder window"
	}
	info.Stats = d.Stats()
	res := &Result{Run: info}
	res.Findings = st.record(d.Findings(), info.At, acks)
	st.prune(info.At.Add(-180 * 24 * time.Hour))
	res.Open, res.Acked = st.Open(acks)
	for i := range res.Open {
		res.Open[i].New = res.Open[i].FirstRaised.Equal(info.At)
	}
	st.LastRun = &res.Run
	if in.StateDir != "" {
		if err := st.Save(in.StateDir); err != nil {
			return nil, err
		}
	}
	return res, nil
}

var gzipMagic = []byte{0x1f, 0x8b}

// readObject reads o whole, decompressing gzip (recognised by its magic).
func readObject(ctx context.Context, src trail.Source, o trail.Object, max int64) ([]byte, error) {
	rc, err := src.Open(ctx, o)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	br := bufio.NewReaderSize(rc, 256<<10)
	var r io.Reader = br
	if head, _ := br.Peek(2); bytes.Equal(head, gzipMagic) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, fmt.Errorf("gzip: %w", err)
		}
		defer zr.Close()
		r = zr
	}
	data, err := io.ReadAll(io.LimitReader(r, max+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > max {
		return nil, fmt.Errorf("larger than %d bytes decompressed: not read", max)
	}
	return data, nil
}

// lockStateWait takes the run lock, trying again every 20 ms for up to
// wait; then it refuses as lockState does.
func lockStateWait(dir string, wait time.Duration) (func(), error) {
	deadline := time.Now().Add(wait)
	for {
		unlock, err := lockState(dir)
		if err == nil || !errors.Is(err, workspace.ErrLockHeld) || !time.Now().Before(deadline) {
			return unlock, err
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// lockState takes the detection state's run lock without waiting: two runs
// at once would judge the same objects and the second save would drop the
// first one's findings and baseline. The second run refuses, naming why.
func lockState(dir string) (func(), error) {
	if err := os.MkdirAll(dir, workspace.DirMode); err != nil {
		return nil, err
	}
	path := filepath.Join(dir, "run.lock")
	f, err := workspace.OpenLockFile(path)
	if err != nil {
		return nil, err
	}
	if err := workspace.TryLock(f); err != nil {
		f.Close()
		if errors.Is(err, workspace.ErrLockHeld) {
			return nil, fmt.Errorf("%s: another seiri detect run (or trail scan --detect, or an acknowledgement) is using the detection state of this workspace; run again when it ends: %w", path, workspace.ErrLockHeld)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { workspace.Unlock(f); f.Close() }, nil
}
