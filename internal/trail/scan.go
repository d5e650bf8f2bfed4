package trail

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/seiri-dev/seiri/internal/inflate"
	"github.com/seiri-dev/seiri/internal/usage"
)

// Options configure a scan.
type Options struct {
	Filter   Filter
	Parallel int // workers; 0 = GOMAXPROCS
	// Strict turns any skipped file or record into an error that stops the scan.
	Strict bool
	// Relist lists every folder of a FolderSource, even those ScanInto
	// would leave out as unchanged since a scan found them whole.
	Relist bool
	Mapper *Mapper
	// Scanned are the objects already in the store (from
	// usage.Store.ScannedObjects): unchanged ones are not read again.
	Scanned map[string]usage.ObjectMark
	// Ledger is what the store already counted (usage.Store.Ledger): an
	// object it holds, reached through another path, a copy or a touched
	// file, is recognised by its identity and not counted again; delivery
	// units the Athena engine holds are left to it. Without a ledger only
	// duplicates inside this scan are recognised (ScanInto sets it).
	Ledger *usage.Ledger
	// Former are the marks of the names a Renamed source had before, by
	// name (ScanInto sets them when the source may count them as its own):
	// an object a former mark covers is already scanned.
	Former map[string]map[string]usage.ObjectMark
	// Warn, when set, is told at once about an object whose content differs
	// from the copy already counted (also reported in the summary).
	Warn func(msg string)
	// Progress, when set, is called about twice a second and at the end.
	Progress func(Progress)
	// Opened, when set, is told of every object the scan opens to read
	// (from several goroutines at once): the new ones.
	Opened func(Object)
	// MaxFileBytes caps a decompressed file (default 2 GiB): a bigger file
	// is skipped rather than exhausting memory.
	MaxFileBytes int64
	// Settle, when set, is handed what becomes final as the scan goes:
	// the objects are read in groups of whole units, a unit being a
	// delivery folder's account and region (ParsePath; every object whose
	// path says neither is one unit), the biggest unit first, small units
	// sharing a group (groupObjects); once every object of a group is
	// read, the group's rows, session keys and uses and its objects read
	// (as Result.Objects lists them) are final, since CloudTrail records an
	// event in the files of the account and region it happened in, and are
	// handed over together. A record of another account or region than its
	// folder's makes a row that another group may hold too: the rows'
	// receiver merges by key (ScanInto: the store's transaction). Calls
	// come one at a time from one goroutine, in group order (the same
	// batches in the same order for the same objects), while the workers
	// read on; the objects the former marks cover come last, alone. What
	// is handed over may be kept: the scan does not change it afterwards.
	// Result then holds no rows, session keys or uses (its Objects and
	// counts are whole; Summary.Rows counts the rows handed over). An
	// error stops the scan. This is how the commit runs beside the scan,
	// and how an organization's aggregation never lives in memory all at
	// once (docs/bench-trail.md, session 7).
	Settle func(Settled) error
	// Listing, when set, is the source's listing, started before the
	// store was opened (StartListing): Scan and ScanInto use it instead
	// of listing, and ScanInto reads no folder's state from the store (every
	// folder is listed, as with Relist). A caller starts it when the store
	// does not exist yet: its first scan then lists while the store is
	// created and locked.
	Listing *PendingListing

	// listed, when set, returns the listing of the source, started
	// before the scan (ScanInto lists while it reads the store's marks
	// and ledger).
	listed func() (*Listing, error)
	// cores, when set, is shared by the workers (one each while it reads
	// a file) and the store's writer (see ScanInto).
	cores cores
}

// workers is how many files the scan reads at once.
func (opts *Options) workers() int {
	if opts.Parallel > 0 {
		return opts.Parallel
	}
	return runtime.GOMAXPROCS(0)
}

// cores are the places a settling scan's CPU-bound goroutines take turns
// in: each worker holds one while it reads a file, the store's writer one
// while it saves groups (ScanInto), so that a writer with work to do waits
// for one file's end at most and then has a core to itself. Without them
// the workers and the writer share the cores evenly: on two cores the
// writer, about a third of the work, fell behind as the scan went on and
// finished the groups queued after the last file read, 32–65 ms of the
// 300 MB corpus's tail (docs/bench-trail.md, session 12). The scan's CPU
// time is the same either way, and so, on two busy cores, is its wall
// time: what changes is how much of the commit is left after the last
// file. A nil cores holds nothing.
type cores chan struct{}

// newCores returns the cores of a scan with workers workers, or nil when
// the store's writer does not compete with them: there are more CPUs than
// workers, or a single worker (the writer then takes turns with nothing
// to gain). ScanInto uses them for local files only: a worker reading
// from S3 mostly waits for the network, and holding a core would only
// cut the downloads in flight while the writer saves.
func newCores(workers int) cores {
	if workers < 2 || workers < runtime.GOMAXPROCS(0) {
		return nil
	}
	return make(cores, workers)
}

func (c cores) take() {
	if c != nil {
		c <- struct{}{}
	}
}

func (c cores) give() {
	if c != nil {
		<-c
	}
}

// Renamed is a source an earlier seiri knew under other names, listing
// other objects: what it marked scanned under those names must count as
// scanned now, or the events it counted would be counted again (the
// content digest cannot tell: the objects differ).
type Renamed interface {
	Source
	// FormerNames are the names the source's objects were marked under.
	FormerNames() []string
	// FormerObjects are the objects, as the earlier seiri listed them
	// (name, key, size, mtime), one of which held every record of o: o is
	// already scanned when the store marks one of them.
	FormerObjects(o Object) []FormerObject
	// AdoptFormer decides, given the name of every source the store holds
	// marks of, whether the former marks are this source's (true), another
	// source's (false: every object is read), or cannot be told apart (an
	// error that says what to do: the scan is refused).
	AdoptFormer(marked []string) (bool, error)
}

// FormerObject is an object an earlier seiri listed under the source name Source.
type FormerObject struct {
	Source string
	Object
}

// RefusedError is a scan refused before anything was read, because the
// store's state does not let it count every event exactly once.
type RefusedError struct {
	Source string
	Err    error
}

func (e *RefusedError) Error() string { return fmt.Sprintf("%s: %v", e.Source, e.Err) }

func (e *RefusedError) Unwrap() error { return e.Err }

// formerlyScanned reports whether a former mark covers o.
func formerlyScanned(src Renamed, former map[string]map[string]usage.ObjectMark, o Object) bool {
	for _, f := range src.FormerObjects(o) {
		if m, ok := former[f.Source][f.Key]; ok && m.Same(usage.Object{Size: f.Size, ETag: f.ETag, MTime: f.MTime}) {
			return true
		}
	}
	return false
}

// Settled is one group of a scan, final (see Options.Settle).
type Settled struct {
	// Rows is nil when the group's objects made no row.
	Rows        usage.RowSet
	SessionKeys []usage.SessionKey
	SessionUses []usage.SessionUse
	// Objects are the group's objects read to their end, sorted by key.
	Objects []usage.Object
}

// Progress is a scan's progress.
type Progress struct {
	FilesDone, FilesTotal int64
	BytesDone, BytesTotal int64 // compressed bytes, as listed
	Records               int64
	Elapsed               time.Duration
}

// EventsPerSecond is the record rate so far.
func (p Progress) EventsPerSecond() float64 {
	if p.Elapsed <= 0 {
		return 0
	}
	return float64(p.Records) / p.Elapsed.Seconds()
}

// ETA estimates the time left from the bytes done.
func (p Progress) ETA() time.Duration {
	if p.BytesDone <= 0 || p.BytesTotal <= p.BytesDone {
		return 0
	}
	return time.Duration(float64(p.Elapsed) * float64(p.BytesTotal-p.BytesDone) / float64(p.BytesDone))
}

// Skips counts one reason and keeps the first few places it happened.
type Skips struct {
	Count    int64    `json:"count"`
	Examples []string `json:"examples"`
}

// MaxSkipExamples bounds the example paths kept per skip reason.
const MaxSkipExamples = 5

// Summary is the end-of-scan account: what was read, skipped and why.
type Summary struct {
	Sources             []string `json:"sources"`
	FilesListed         int64    `json:"filesListed"`
	FilesAlreadyScanned int64    `json:"filesAlreadyScanned"`
	// FoldersUnchanged were not listed: unchanged since a scan found every
	// log file in them marked (FilesInUnchangedFolders, as many then; see
	// FolderSource). Not in FilesListed.
	FoldersUnchanged        int64 `json:"foldersUnchanged,omitempty"`
	FilesInUnchangedFolders int64 `json:"filesInUnchangedFolders,omitempty"`
	// FolderTimesIgnored says why some folders are listed every time
	// whatever their time (Listing.FolderTimesIgnored: a FUSE mount).
	FolderTimesIgnored string `json:"folderTimesIgnored,omitempty"`
	// FilesAlreadyCounted were read but are objects the store (or this
	// scan) already counted: another path, a copy, a touched file.
	FilesAlreadyCounted int64 `json:"filesAlreadyCounted"`
	// FilesChanged hold other content than the copy already counted
	// (CloudTrail never rewrites a delivered file): kept out, see
	// SkippedFiles[SkipFileChanged].
	FilesChanged int64 `json:"filesChanged"`
	// FilesHeldByAthena are in delivery units the Athena engine accounted for.
	FilesHeldByAthena int64 `json:"filesHeldByAthena"`
	FilesRead         int64 `json:"filesRead"`
	FilesSkipped      int64 `json:"filesSkipped"`
	DigestFiles       int64 `json:"digestFiles"`
	IgnoredFiles      int64 `json:"ignoredFiles"`
	PrunedByFilter    int64 `json:"prunedByFilter"`
	BytesRead         int64 `json:"bytesRead"`
	BytesDecompressed int64 `json:"bytesDecompressed"`
	Records           int64 `json:"records"`
	RecordsSkipped    int64 `json:"recordsSkipped"`
	// RecordsOutside are outside the filter (--since/--until, --account,
	// --regions) in files with no record inside it (FilesOutside: read,
	// counted nowhere, left unmarked for a scan whose filter holds them);
	// RecordsAtEdges outside it in files with records inside, counted
	// with their file (a file is counted whole or not at all).
	RecordsOutside int64             `json:"recordsOutsideFilter"`
	RecordsAtEdges int64             `json:"recordsAtFilterEdges,omitempty"`
	FilesOutside   int64             `json:"filesOutsideFilter,omitempty"`
	Mapped         int64             `json:"mapped"`
	NotAuthz       int64             `json:"notAuthorization"`
	Unmapped       int64             `json:"unmapped"`
	Coverage       float64           `json:"coverage"` // mapped / (mapped + unmapped); see MappingCoverage when both are 0
	Rows           int               `json:"rows"`
	SkippedFiles   map[string]*Skips `json:"skippedFiles,omitempty"`
	SkippedRecords map[string]*Skips `json:"skippedRecords,omitempty"`
	ListErrors     []string          `json:"listErrors,omitempty"`
	Duration       time.Duration     `json:"durationNs"`
}

// Result is a finished scan: what to commit to the usage store.
type Result struct {
	Rows     []usage.Row
	Unmapped []usage.UnmappedPair
	// SessionKeys link session (ASIA) keys to the key that requested them.
	SessionKeys []usage.SessionKey
	// SessionUses: the temporary keys each principal used, per day (they
	// are not part of the rows' key).
	SessionUses []usage.SessionUse
	// Objects were read to the end, or were covered by a former mark
	// (Options.Former): only they may be marked scanned.
	Objects []usage.Object
	// FormerlyScanned are the objects a former mark covered (also counted
	// in Summary.FilesAlreadyScanned, and in Objects, not counted).
	FormerlyScanned int64
	// Folders are the folders listed that hold log or digest files (FolderSource),
	// with their time when they were listed whole and every log file in
	// them is marked once the scan is saved; else MTime 0 (usage.FolderState).
	Folders []usage.FolderState
	Summary Summary
	// CommitTail is how long ScanInto's commit took after the last file
	// was read (the rest of the commit overlapped the scan).
	CommitTail time.Duration
	// Groups is the number of groups handed to Options.Settle.
	Groups int
}

// StrictError is a skip that --strict turned into an error.
type StrictError struct {
	Path, Reason string
}

func (e *StrictError) Error() string { return fmt.Sprintf("%s: %s (--strict)", e.Path, e.Reason) }

// Skip reasons for files.
const (
	SkipFileRead     = "read error"
	SkipFileGzip     = "truncated or corrupt gzip"
	SkipFileEmpty    = "empty file"
	SkipFileNotJSON  = "not JSON"
	SkipFileNotCT    = "JSON but not a CloudTrail log"
	SkipFileSyntax   = "malformed JSON (records before the error were kept)"
	SkipFileTooLarge = "file larger than the decompressed size limit"
	SkipFileChanged  = "content differs from the copy already counted (CloudTrail never rewrites a delivered file: possible tampering); the counted copy is kept"
)

type skipSet struct {
	mu sync.Mutex
	m  map[string]*Skips
}

func (s *skipSet) add(reason, where string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[string]*Skips{}
	}
	k := s.m[reason]
	if k == nil {
		k = &Skips{}
		s.m[reason] = k
	}
	k.Count++
	if len(k.Examples) < MaxSkipExamples {
		k.Examples = append(k.Examples, where)
	}
}

// Scan reads every new object of src inside opts.Filter and aggregates it.
func Scan(ctx context.Context, src Source, opts Options) (*Result, error) {
	start := time.Now()
	defer tightGC()()
	if opts.Mapper == nil {
		opts.Mapper = &Mapper{}
	}
	if opts.MaxFileBytes <= 0 {
		opts.MaxFileBytes = 2 << 30
	}
	workers := opts.workers()
	list := opts.listed
	if list == nil && opts.Listing != nil {
		list = opts.Listing.Wait
	}
	if list == nil {
		list = func() (*Listing, error) { return src.List(ctx, &opts.Filter) }
	}
	listing, err := list()
	if err != nil {
		return nil, fmt.Errorf("list %s: %w", src.Name(), err)
	}
	res := &Result{}
	sum := &res.Summary
	sum.Sources = []string{src.Name()}
	sum.DigestFiles, sum.IgnoredFiles, sum.PrunedByFilter = listing.Digests, listing.Ignored, listing.Pruned
	sum.FoldersUnchanged, sum.FilesInUnchangedFolders = listing.Unchanged, listing.UnchangedFiles
	sum.FolderTimesIgnored = listing.FolderTimesIgnored
	// Per folder of the listing, the log files that will be marked once
	// the scan is saved (already marked, or read to their end).
	folders := newFolderTally(listing.Folders)
	for _, e := range listing.Errors {
		sum.ListErrors = append(sum.ListErrors, e.Error())
	}
	if opts.Strict && len(listing.Errors) > 0 {
		return nil, &StrictError{Path: listing.Errors[0].Prefix, Reason: listing.Errors[0].Err.Error()}
	}
	// Filter in place: with 100,000s of objects a second list would be a
	// noticeable part of the scan's memory.
	todo := listing.Objects[:0]
	var bytesTotal int64
	renamed, _ := src.(Renamed)
	var carried []usage.Object // covered by a former mark: marked under the source's name
	athena := opts.Ledger != nil && opts.Ledger.AthenaHolds()
	for _, o := range listing.Objects {
		sum.FilesListed++
		if m, ok := opts.Scanned[o.Key]; ok && m.Same(usage.Object{Size: o.Size, ETag: o.ETag, MTime: o.MTime}) {
			sum.FilesAlreadyScanned++
			folders.marked(o.Key)
			continue
		}
		if renamed != nil && len(opts.Former) > 0 && formerlyScanned(renamed, opts.Former, o) {
			sum.FilesAlreadyScanned++
			folders.marked(o.Key)
			carried = append(carried, usage.Object{Source: src.Name(), Key: o.Key, Size: o.Size, ETag: o.ETag, MTime: o.MTime})
			continue
		}
		if athena {
			if _, u, ok := usage.DeliveryID(identityPath(src, o.Key)); ok && opts.Ledger.HeldByAthena(u) {
				sum.FilesHeldByAthena++
				continue
			}
		}
		todo = append(todo, o)
		bytesTotal += o.Size
	}
	// Big files first: the last worker to finish then holds a small file.
	// Settling, big groups first and big files first in each: a group is
	// final once its files are read, and the last group is the smallest.
	var groups []scanGroup
	var grp []int32  // object i's group
	var perm []int32 // object i is todo[perm[i]] (nil: todo[i])
	if opts.Settle != nil {
		groups, grp, perm = groupObjects(todo)
	} else {
		sort.SliceStable(todo, func(i, j int) bool { return todo[i].Size > todo[j].Size })
	}
	// What the scan keeps per object to read is what the store marks: one
	// usage.Object each, made here in one array that the worker reading
	// the object fills in (no per-worker lists to grow and copy), compacted
	// at the end. The listing is let go: a worker rebuilds the listed
	// Object from its record, the path info from the key (ParsePath, as
	// the sources that list the delivery layout made it; any other info is
	// kept aside). With 100,000s of objects the listing's path infos were a
	// noticeable part of the scan's memory.
	nTodo := len(todo)
	srcName := src.Name()
	objs := make([]usage.Object, nTodo)
	kept := make([]bool, nTodo) // read to its end: marked scanned
	var infos map[int]PathInfo  // the listed info, where it is not the key's
	for i := range todo {
		o := &todo[i]
		if perm != nil {
			o = &todo[perm[i]]
		}
		objs[i] = usage.Object{Source: srcName, Key: o.Key, Size: o.Size, ETag: o.ETag, MTime: o.MTime}
		if o.Info != ParsePath(o.Key) {
			if infos == nil {
				infos = map[int]PathInfo{}
			}
			infos[i] = o.Info
		}
	}
	listing.Objects, todo, perm = nil, nil, nil // todo too: the sort's closure holds it

	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	var (
		filesDone, bytesDone, records atomic.Int64
		fileSkips, recSkips           skipSet
	)
	// The next file to read, an index in objs: each worker takes the
	// next one itself (no feeder goroutine to wake per file).
	var next atomic.Int64
	// A worker hands over its aggregation whenever it moves on to another
	// group (and at its end): a part, which one goroutine merges with the
	// group's other parts and settles once the group's files are all in.
	var parts chan groupPart
	settled := make(chan struct{}) // closed once st is done: its counts are read then
	st := newSettler(groups, opts.Settle, objs, kept)
	if opts.Settle != nil {
		parts = make(chan groupPart, workers)
		go func() {
			defer close(settled)
			for p := range parts {
				if ctx.Err() != nil {
					continue // drained: the scan stops
				}
				if err := st.add(p); err != nil {
					cancel(err)
				}
			}
		}()
	} else {
		close(settled)
	}
	aggs := make([]*aggregator, workers)
	book := &claims{ledger: opts.Ledger, seen: map[usage.ObjectID]string{}, dirs: map[string]string{}}
	var counted, changed, outsideFiles atomic.Int64
	var wg sync.WaitGroup
	for w := 0; w < workers; w++ {
		agg := newAggregator(opts.Mapper, &opts.Filter)
		aggs[w] = agg
		wg.Add(1)
		go func() {
			defer wg.Done()
			rd := &fileReader{max: opts.MaxFileBytes}
			var rec Record
			cur, n := int32(-1), 0 // the group being read, its files read since the last hand-over
			handOff := func() {
				if parts == nil || n == 0 {
					return
				}
				select {
				case parts <- groupPart{g: cur, files: n, agg: agg.handOff()}:
				case <-ctx.Done():
				}
				n = 0
			}
			defer handOff()
			for ctx.Err() == nil {
				i := int(next.Add(1) - 1)
				if i >= len(objs) {
					break
				}
				if parts != nil && grp[i] != cur {
					handOff()
					cur = grp[i]
				}
				n++
				u := &objs[i]
				info, ok := infos[i]
				if !ok {
					info = ParsePath(u.Key)
				}
				o := Object{Key: u.Key, Size: u.Size, ETag: u.ETag, MTime: u.MTime, Info: info}
				if opts.Opened != nil {
					opts.Opened(o)
				}
				before := agg.records
				var id usage.ObjectID
				var digest string
				var state claimState
				claimed := false
				claim := func(data []byte) bool {
					claimed = true
					digest = usage.Digest(data)
					if did, _, ok := usage.DeliveryID(identityPath(src, o.Key)); ok {
						id = did
					} else {
						id = usage.ContentID(digest)
					}
					var err error
					var old string // computed once, if the ledger asks
					state, err = book.claim(ctx, &id, digest, func() string {
						if old == "" {
							old = usage.LegacyDigest(data)
						}
						return old
					})
					if err != nil {
						cancel(fmt.Errorf("object ledger: %w", err))
						return false
					}
					return state == claimNew
				}
				opts.cores.take()
				ok, reason, detail, decompressed := rd.scan(ctx, src, o, agg, &rec, claim, func(reason string, idx int) {
					recSkips.add(reason, fmt.Sprintf("%s#%d", o.Key, idx))
					if opts.Strict {
						cancel(&StrictError{Path: fmt.Sprintf("%s record %d", o.Key, idx), Reason: reason})
					}
				})
				opts.cores.give()
				records.Add(agg.records - before)
				filesDone.Add(1)
				bytesDone.Add(o.Size)
				agg.decompressed += decompressed
				if reason == fileOutside {
					// Counted nowhere: a copy read after it is not
					// "already counted" (it too is read, and left
					// unmarked if outside).
					outsideFiles.Add(1)
					book.unclaim(id, digest)
					reason = ""
				}
				if reason != "" {
					where := o.Key
					if detail != "" {
						where += ": " + detail
					}
					fileSkips.add(reason, where)
					if opts.Strict {
						cancel(&StrictError{Path: o.Key, Reason: reason + detailSuffix(detail)})
					}
				}
				switch {
				case ok && state == claimChanged:
					changed.Add(1)
					where := fmt.Sprintf("%s (identity %s, digest %s)", o.Key, id, digest)
					fileSkips.add(SkipFileChanged, where)
					if opts.Warn != nil {
						opts.Warn(where + ": " + SkipFileChanged) // the receiver says it is a warning
					}
					if opts.Strict {
						cancel(&StrictError{Path: o.Key, Reason: SkipFileChanged})
					}
				case ok && !claimed:
					// Read to its end but never parsed (too large): marked so
					// it is not read again, counted nowhere.
					kept[i] = true
				case ok:
					if state == claimSame {
						counted.Add(1)
					}
					kept[i] = true
					u.ID, u.ContentSize, u.Digest, u.Counted = id, decompressed, digest, state == claimNew
				}
			}
		}()
	}
	progress := func() {
		if opts.Progress != nil {
			opts.Progress(Progress{FilesDone: filesDone.Load(), FilesTotal: int64(nTodo), BytesDone: bytesDone.Load(),
				BytesTotal: bytesTotal, Records: records.Load(), Elapsed: time.Since(start)})
		}
	}
	stopTicker := make(chan struct{})
	tickerDone := make(chan struct{})
	go func() {
		defer close(tickerDone)
		if opts.Progress == nil {
			return
		}
		t := time.NewTicker(500 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-t.C:
				progress()
			case <-stopTicker:
				return
			}
		}
	}()
	wg.Wait()
	if parts != nil {
		close(parts)
	}
	<-settled
	close(stopTicker)
	<-tickerDone
	progress()
	if err := context.Cause(ctx); err != nil {
		return nil, err
	}
	done := objs[:0]
	for i := range objs {
		if kept[i] {
			folders.marked(objs[i].Key)
			done = append(done, objs[i])
		}
	}
	res.Folders = folders.states(srcName)
	clear(objs[len(done):])
	if len(carried) > 0 && opts.Settle != nil {
		slices.SortFunc(carried, func(a, b usage.Object) int { return compareStr(a.Key, b.Key) })
		if err := opts.Settle(Settled{Objects: slices.Clone(carried)}); err != nil {
			return nil, err
		}
	}
	done = append(done, carried...)
	slices.SortFunc(done, func(a, b usage.Object) int { return compareStr(a.Key, b.Key) })

	total := aggs[0]
	for i, a := range aggs[1:] {
		total.absorb(a)
		total.decompressed += a.decompressed
		aggs[i+1] = nil // merged: its tables go while the rows are built
	}
	res.SessionKeys = total.SessionKeys()
	res.SessionUses = total.SessionUses()
	res.Rows = total.Rows()
	total.dropRows() // built: the rest is built without them
	// Settling, the rows handed over (a key two groups hold counts in
	// each: ScanInto reports the store's count of distinct rows instead).
	sum.Rows = len(res.Rows) + st.rows
	res.Unmapped = total.Unmapped()
	res.Objects = done
	res.FormerlyScanned = int64(len(carried))
	res.Groups = st.next
	sum.FilesRead = int64(nTodo)
	sum.FilesAlreadyCounted = counted.Load()
	sum.FilesChanged = changed.Load()
	sum.BytesRead = bytesTotal
	sum.BytesDecompressed = total.decompressed
	sum.Records = total.records
	sum.RecordsOutside = total.outside
	sum.RecordsAtEdges = total.edge
	sum.FilesOutside = outsideFiles.Load()
	sum.Mapped, sum.NotAuthz, sum.Unmapped = total.mapped, total.notAuthz, total.unmappedN
	// Over no API call there is no coverage: Coverage stays 0 and
	// MappingCoverage says so (never a figure over nothing).
	sum.Coverage, _ = MappingCoverage(sum.Mapped, sum.Unmapped)
	sum.SkippedFiles = fileSkips.m
	sum.SkippedRecords = recSkips.m
	for _, s := range fileSkips.m {
		sum.FilesSkipped += s.Count
	}
	for _, s := range recSkips.m {
		sum.RecordsSkipped += s.Count
	}
	sum.Duration = time.Since(start)
	return res, nil
}

// folderTally counts, per folder of a listing, the log files that will
// be marked once the scan is saved.
type folderTally struct {
	fs   []usage.FolderState
	done []int64
	at   map[string]int
}

func newFolderTally(fs []usage.FolderState) *folderTally {
	t := &folderTally{fs: fs, done: make([]int64, len(fs)), at: make(map[string]int, len(fs))}
	for i, f := range fs {
		t.at[f.Dir] = i
	}
	return t
}

func (t *folderTally) marked(key string) {
	dir := ""
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		dir = key[:i]
	}
	if i, ok := t.at[dir]; ok {
		t.done[i]++
	}
}

// states are the folders, each with its time if it was listed whole and
// every log file listed in it is marked, else 0: a folder some file of
// which was not read to its end (an error, a changed file, a delivery
// unit Athena holds) is listed again by the next scan. They are source's.
func (t *folderTally) states(source string) []usage.FolderState {
	out := slices.Clone(t.fs)
	for i := range out {
		out[i].Source = source
		if t.done[i] != out[i].Files {
			out[i].MTime = 0
		}
	}
	return out
}

func compareStr(a, b string) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// fileReader decompresses whole files into a reused buffer. Reading a file
// whole (it is one JSON document) keeps the scanner a tight loop over memory;
// memory is bounded by workers × the largest file, and CloudTrail delivers
// files every 5 minutes, so they are small (a 200 MB file costs ~200 MB).
type fileReader struct {
	br   *bufio.Reader
	buf  []byte
	gz   *gzip.Reader
	dec  *inflate.Decoder // gzip files read whole into memory
	max  int64
	hint int64 // expected decompressed size, 0 if unknown
}

// gzipSizeHint reads the ISIZE trailer of a local gzip file (the
// uncompressed size mod 2^32, RFC 1952 section 2.3.1) so the buffer is
// allocated once at the right size instead of doubling: a 200 MB file then
// costs ~200 MB, not ~400 MB during the last doubling.
func gzipSizeHint(r io.Reader) int64 {
	f, ok := r.(interface {
		io.ReaderAt
		Stat() (os.FileInfo, error)
	})
	if !ok {
		return 0
	}
	fi, err := f.Stat()
	if err != nil || fi.Size() < 20 {
		return 0
	}
	var head [2]byte
	var tail [4]byte
	if _, err := f.ReadAt(head[:], 0); err != nil || !bytes.Equal(head[:], gzipMagic) {
		return fi.Size() // plain JSON: the file size is the content size
	}
	if _, err := f.ReadAt(tail[:], fi.Size()-4); err != nil {
		return 0
	}
	n := int64(binary.LittleEndian.Uint32(tail[:]))
	if n < fi.Size()/2 { // multi-member file or a size beyond 4 GiB: no usable hint
		return 0
	}
	return n
}

var gzipMagic = []byte{0x1f, 0x8b}

// scan reads o and folds its records into agg. ok means the object was read
// to its end (it may be marked scanned); reason is a file skip reason.
//
// claim is given the decompressed content before any record is folded:
// false leaves the records out (the object is counted already), ok stays
// true (the object was read to its end).
func (fr *fileReader) scan(ctx context.Context, src Source, o Object, agg *aggregator, rec *Record, claim func([]byte) bool, badRecord func(string, int)) (ok bool, reason, detail string, n int64) {
	rc, err := src.Open(ctx, o)
	if err != nil {
		return false, SkipFileRead, trimDetail(err.Error()), 0
	}
	defer rc.Close()
	fr.hint = gzipSizeHint(rc)
	data, err := fr.readAll(rc)
	n = int64(len(data))
	if err != nil {
		if errors.Is(err, errTooLarge) {
			return true, SkipFileTooLarge, "", n
		}
		if errors.Is(err, errGzip) {
			return false, SkipFileGzip, "", n
		}
		return false, SkipFileRead, trimDetail(err.Error()), n
	}
	defer fr.release()
	if !claim(data) {
		return true, "", "", n
	}
	account := o.Info.Account
	idx := 0
	agg.fileIn, agg.fileOut = 0, 0
	_, err = ScanLog(data, rec, func(r *Record) {
		if why := agg.add(r, account); why != "" {
			badRecord(why, idx)
		}
		idx++
	}, func(i int, why string) {
		idx = i + 1
		agg.records++
		badRecord(SkipNotObject, i)
	})
	// A window (or accounts, regions) selects whole files: a file is
	// marked once counted, so a record left out of it would never be
	// counted by a later, wider scan. A file with records on both sides
	// is counted whole, the records outside read again and folded in
	// (few: the minutes around the window's edges); a file with none
	// inside is counted nowhere and left unmarked, for a scan whose
	// filter holds it.
	if agg.fileOut > 0 {
		if agg.fileIn == 0 {
			return false, fileOutside, "", n
		}
		agg.invert = true
		ScanLog(data, rec, func(r *Record) { agg.add(r, account) }, func(int, string) {})
		agg.invert = false
		agg.outside -= agg.fileOut
		agg.edge += agg.fileOut
	}
	switch {
	case err == nil:
		return true, "", "", n
	case errors.Is(err, ErrEmpty):
		return true, SkipFileEmpty, "", n
	case errors.Is(err, ErrNotJSON):
		return true, SkipFileNotJSON, "", n
	case errors.Is(err, ErrNotCloudTrail):
		return true, SkipFileNotCT, "", n
	default:
		return true, SkipFileSyntax, trimDetail(err.Error()), n
	}
}

func trimDetail(s string) string {
	if len(s) > 200 {
		return s[:200] + "…"
	}
	return s
}

func detailSuffix(d string) string {
	if d == "" {
		return ""
	}
	return ": " + d
}

// fileOutside is fileReader.scan's reason for a file read whose records
// are all outside the filter: not a skip, not marked.
const fileOutside = "outside the filter"

var (
	errTooLarge = errors.New("too large")
	errGzip     = errors.New("gzip")
)

// readAll reads r (decompressing gzip, detected by its magic bytes) into the
// reused buffer.
func (fr *fileReader) readAll(r io.Reader) ([]byte, error) {
	if m, ok := r.(*memFile); ok && m.data != nil && bytes.HasPrefix(m.data[m.off:], gzipMagic) {
		// Read whole already (DirSource, files up to 32 MiB): decoded in
		// one call from its bytes straight into the buffer.
		return fr.gunzip(m.data[m.off:])
	}
	if fr.br == nil {
		fr.br = bufio.NewReaderSize(r, 256<<10)
	} else {
		fr.br.Reset(r)
	}
	var body io.Reader = fr.br
	head, err := fr.br.Peek(2)
	if err != nil && len(head) == 0 {
		if errors.Is(err, io.EOF) {
			return nil, nil
		}
		return nil, err
	}
	gz := bytes.Equal(head, gzipMagic)
	if gz {
		// bufio.Reader is an io.ByteReader: flate reads from it directly.
		if fr.gz == nil {
			fr.gz, err = gzip.NewReader(fr.br)
		} else {
			err = fr.gz.Reset(fr.br)
		}
		if err != nil {
			return nil, errGzip
		}
		body = fr.gz
	}
	buf := fr.buf[:0]
	if need := fr.hint + 512; fr.hint > 0 && fr.hint < fr.max && int64(cap(buf)) < need {
		// Grow with slack so files of similar sizes reuse the buffer.
		buf = make([]byte, 0, max(need, min(int64(2*cap(buf)), fr.max)))
	}
	if cap(buf) == 0 {
		buf = make([]byte, 0, 1<<20)
	}
	for {
		if len(buf) == cap(buf) {
			if int64(cap(buf)) >= fr.max {
				fr.buf = buf[:0]
				return buf, errTooLarge
			}
			buf = slices.Grow(buf, min(cap(buf), int(fr.max)-cap(buf)+1))
		}
		m, err := body.Read(buf[len(buf):cap(buf)])
		buf = buf[:len(buf)+m]
		if err == io.EOF {
			break
		}
		if err != nil {
			fr.buf = buf[:0]
			if gz {
				return buf, fmt.Errorf("%w: %v", errGzip, err)
			}
			return buf, err
		}
	}
	fr.buf = buf[:0]
	return buf, nil
}

// gunzip decodes a gzip file held in memory into the reused buffer, sized
// from the size hint like readAll's.
func (fr *fileReader) gunzip(src []byte) ([]byte, error) {
	if fr.dec == nil {
		fr.dec = new(inflate.Decoder)
	}
	fr.dec.MaxSize = fr.max
	buf := fr.buf[:0]
	if need := fr.hint + 512; fr.hint > 0 && fr.hint < fr.max && int64(cap(buf)) < need {
		buf = make([]byte, 0, max(need, min(int64(2*cap(buf)), fr.max)))
	}
	out, err := fr.dec.Gunzip(buf, src)
	fr.buf = out[:0]
	switch {
	case errors.Is(err, inflate.ErrTooLarge):
		return out, errTooLarge
	case err != nil:
		return out, fmt.Errorf("%w: %v", errGzip, err)
	}
	return out, nil
}

// release drops an oversized buffer after a big file so one 200 MB file does
// not keep 200 MB per worker for the rest of the scan.
func (fr *fileReader) release() {
	if cap(fr.buf) > 64<<20 {
		fr.buf = nil
	}
}

type claimState int

const (
	claimNew     claimState = iota // count its records
	claimSame                      // counted before (same identity and content)
	claimChanged                   // counted before with other content: keep the counted copy
)

// claims decides, per object read, whether its records are counted: once
// per identity across the store's ledger and this scan.
type claims struct {
	ledger *usage.Ledger
	mu     sync.Mutex
	seen   map[usage.ObjectID]string // identity → digest, this scan
	// byContent are the content identities of the objects this scan
	// counted that any object is compared with (usage.ComparedWithEvery).
	byContent map[usage.ObjectID]bool
	// dirs interns the identities' folders: the objects of one account,
	// region and day (or one content folder) share one string.
	dirs map[string]string
}

// intern returns the kept copy of dir.
func (c *claims) intern(dir string) string {
	if d, ok := c.dirs[dir]; ok {
		return d
	}
	c.dirs[dir] = dir
	return dir
}

// An object is new when neither its identity nor its content was counted:
// a delivery-layout file copied into a flat folder (content identity) or
// reached through a source below AWSLogs/ is recognised by its digest (see
// usage.Ledger.Seen). legacy computes the object's digest as stores before
// schema 8 kept it, asked for only when the ledger holds such a digest.
//
// claim interns id's folder in place (the caller keeps id).
func (c *claims) claim(ctx context.Context, idp *usage.ObjectID, digest string, legacy func() string) (claimState, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	idp.Dir = c.intern(idp.Dir)
	id := *idp
	cid := usage.ContentID(digest)
	cid.Dir = c.intern(cid.Dir)
	if d, ok := c.seen[id]; ok {
		if d == digest {
			return claimSame, nil
		}
		return claimChanged, nil
	}
	// Compared as the ledger compares with what earlier scans counted
	// (usage.ComparedWithEvery): the store is then the same whichever
	// scan met which object first.
	if usage.ComparedWithEvery(id) {
		if _, ok := c.seen[cid]; ok {
			return claimSame, nil
		}
	} else if c.byContent[cid] {
		return claimSame, nil
	}
	if c.ledger != nil {
		switch seen, err := c.ledger.Seen(ctx, id, digest, legacy); {
		case err != nil:
			return 0, err
		case seen == usage.SeenSame:
			return claimSame, nil
		case seen == usage.SeenChanged:
			return claimChanged, nil
		}
	}
	c.seen[id] = digest
	c.seen[cid] = digest
	if usage.ComparedWithEvery(id) { // the ledger too keeps its digest among those counted by content
		if c.byContent == nil {
			c.byContent = map[usage.ObjectID]bool{}
		}
		c.byContent[cid] = true
	}
	return claimNew, nil
}

// unclaim forgets a claim that ended counting nothing (a file wholly
// outside the filter).
func (c *claims) unclaim(id usage.ObjectID, digest string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	cid := usage.ContentID(digest)
	delete(c.seen, id)
	delete(c.seen, cid)
	delete(c.byContent, cid)
}

// identityPath is the path an object's identity is read from: its key, or
// for a folder source whose keys do not reach up to AWSLogs/ (the source is
// the AWSLogs folder or below it), the folder's path joined to the key.
func identityPath(src Source, key string) string {
	if strings.Contains(key, "AWSLogs/") {
		return key
	}
	if d, ok := src.(*DirSource); ok {
		return filepath.ToSlash(d.Name()) + "/" + key
	}
	return key
}
