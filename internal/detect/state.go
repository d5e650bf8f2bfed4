package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/workspace"
)

// StateDir is the workspace folder of the detection state.
const StateDir = "detect"

// State files inside StateDir.
const (
	stateFile = "state.json"
	acksFile  = "acks.json"
)

// StateVersion is the schema of state.json.
const StateVersion = 1

// State is what the detection keeps between runs in the workspace: the
// baseline, the log objects already judged (so a run judges only new ones)
// and every finding raised (so a finding raised again is a duplicate, not
// news).
type State struct {
	Version  int                          `json:"version"`
	Baseline *Baseline                    `json:"baseline"`
	Judged   map[string]map[string]string `json:"judged"` // source name -> object key -> etag/size
	Findings map[string]*Stored           `json:"findings"`
	LastRun  *RunInfo                     `json:"lastRun,omitempty"`
}

// Stored is a finding as the state keeps it.
type Stored struct {
	Finding     *Finding  `json:"finding"`
	FirstRaised time.Time `json:"firstRaised"`
	LastRaised  time.Time `json:"lastRaised"`
	Raised      int       `json:"raised"` // runs that raised it
}

// RunInfo says what a run used.
type RunInfo struct {
	At           time.Time         `json:"at"`
	Sources      []string          `json:"sources"`
	Since        time.Time         `json:"since"`
	Until        time.Time         `json:"until"`
	Objects      int               `json:"objects"`      // log objects judged
	Skipped      int               `json:"skipped"`      // objects judged by an earlier run
	Unreadable   []string          `json:"unreadable"`   // objects that could not be read, with why
	BadRecords   int               `json:"badRecords"`   // elements that were not records
	Records      int               `json:"records"`      // records judged
	Outside      int               `json:"outside"`      // records outside the window
	Baseline     string            `json:"baseline"`     // where the baseline came from
	NotEvaluated map[string]string `json:"notEvaluated"` // rule ID -> why it did not run
	Stats        Stats             `json:"stats"`
	// Streaming says how the records were ordered; Late counts records
	// that came after newer ones were judged (later than the reorder
	// window); MaxBuffered is the most records held at once.
	Streaming   string `json:"streaming"`
	Late        int    `json:"late"`
	MaxBuffered int    `json:"maxBuffered"`
}

// Ack is an acknowledgement: a finding a person looked at and accepted.
type Ack struct {
	ID     string    `json:"id"`
	Reason string    `json:"reason"`
	At     time.Time `json:"at"`
	Rule   string    `json:"rule,omitempty"`
}

// LoadState reads the state in dir (the workspace's StateDir); a missing
// file is an empty state, a damaged one an error naming the file.
func LoadState(dir string) (*State, error) {
	st := &State{Version: StateVersion}
	b, err := workspace.ReadFile(filepath.Join(dir, stateFile))
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return nil, err
	default:
		if err := json.Unmarshal(b, st); err != nil {
			return nil, fmt.Errorf("%s: %w (delete it to start the detection state again)", filepath.Join(dir, stateFile), err)
		}
		if st.Version != StateVersion {
			return nil, fmt.Errorf("%s: state version %d, this seiri reads %d", filepath.Join(dir, stateFile), st.Version, StateVersion)
		}
	}
	if st.Judged == nil {
		st.Judged = map[string]map[string]string{}
	}
	if st.Findings == nil {
		st.Findings = map[string]*Stored{}
	}
	return st, nil
}

// Save writes the state to dir (created 0700, file 0600).
func (st *State) Save(dir string) error {
	if err := os.MkdirAll(dir, workspace.DirMode); err != nil {
		return err
	}
	b, err := json.Marshal(st)
	if err != nil {
		return err
	}
	return workspace.WriteFile(filepath.Join(dir, stateFile), b)
}

// LoadAcks reads the acknowledgements in dir, by finding ID.
func LoadAcks(dir string) (map[string]Ack, error) {
	m := map[string]Ack{}
	b, err := workspace.ReadFile(filepath.Join(dir, acksFile))
	if errors.Is(err, fs.ErrNotExist) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	var list []Ack
	if err := json.Unmarshal(b, &list); err != nil {
		return nil, fmt.Errorf("%s: %w", filepath.Join(dir, acksFile), err)
	}
	for _, a := range list {
		m[a.ID] = a
	}
	return m, nil
}

// AckWait is how long AddAck waits for a detection run that holds the
// state's lock before it refuses.
var AckWait = 30 * time.Second

// AddAck records an acknowledgement of id (a finding the state knows)
// with reason; acknowledging again replaces the reason. It takes the
// run lock (waiting up to AckWait for a run to end): the state it checks
// the ID against is then whole, and two acknowledgements at once cannot
// drop each other (each reads, adds and writes acks.json under the lock).
func AddAck(dir string, id, reason string, at time.Time) (Ack, error) {
	if strings.TrimSpace(reason) == "" {
		return Ack{}, errors.New("an acknowledgement needs a reason (--reason)")
	}
	unlock, err := lockStateWait(dir, AckWait)
	if err != nil {
		return Ack{}, err
	}
	defer unlock()
	st, err := LoadState(dir)
	if err != nil {
		return Ack{}, err
	}
	s, ok := st.Findings[id]
	if !ok {
		return Ack{}, fmt.Errorf("no detection finding %q in %s (see seiri detect findings)", id, dir)
	}
	acks, err := LoadAcks(dir)
	if err != nil {
		return Ack{}, err
	}
	a := Ack{ID: id, Reason: reason, At: at.UTC(), Rule: s.Finding.RuleID}
	acks[id] = a
	list := make([]Ack, 0, len(acks))
	for _, x := range acks {
		list = append(list, x)
	}
	slices.SortFunc(list, func(a, b Ack) int { return strings.Compare(a.ID, b.ID) })
	b, err := json.MarshalIndent(list, "", "  ")
	if err != nil {
		return Ack{}, err
	}
	if err := os.MkdirAll(dir, workspace.DirMode); err != nil {
		return Ack{}, err
	}
	return a, workspace.WriteFile(filepath.Join(dir, acksFile), b)
}

// Listed is a finding as commands show it: its state and acknowledgement.
type Listed struct {
	*Stored
	New bool `json:"new"` // first raised by the run that listed it
	Ack *Ack `json:"ack,omitempty"`
}

// Open lists the stored findings not acknowledged, newest first; acked
// counts the acknowledged ones (honoured: not listed, not failing a gate).
func (st *State) Open(acks map[string]Ack) (open []Listed, acked int) {
	for _, s := range st.Findings {
		if _, ok := acks[s.Finding.ID]; ok {
			acked++
			continue
		}
		open = append(open, Listed{Stored: s})
	}
	sortListed(open)
	return open, acked
}

func sortListed(l []Listed) {
	slices.SortFunc(l, func(a, b Listed) int {
		if c := b.Finding.Severity - a.Finding.Severity; c != 0 {
			return int(c)
		}
		return strings.Compare(a.Finding.ID, b.Finding.ID)
	})
}

// record stores this run's findings and marks each new or a duplicate.
func (st *State) record(fs []*Finding, at time.Time, acks map[string]Ack) []Listed {
	var out []Listed
	seen := map[string]bool{}
	for _, f := range fs {
		if seen[f.ID] {
			continue // the same finding twice in one run (e.g. a record in two copies of a log)
		}
		seen[f.ID] = true
		s, ok := st.Findings[f.ID]
		if !ok {
			s = &Stored{Finding: f, FirstRaised: at}
			st.Findings[f.ID] = s
		}
		s.LastRaised = at
		s.Raised++
		l := Listed{Stored: s, New: !ok}
		if a, ok := acks[f.ID]; ok {
			l.Ack = &a
		}
		out = append(out, l)
	}
	sortListed(out)
	return out
}

// prune forgets findings whose supporting events are older than keep.
func (st *State) prune(before time.Time) {
	for id, s := range st.Findings {
		if len(s.Finding.Support) > 0 && s.Finding.Support[len(s.Finding.Support)-1].Time.Before(before) && s.LastRaised.Before(before) {
			delete(st.Findings, id)
		}
	}
}

// All lists every stored finding, acknowledged ones with their acknowledgement.
func (st *State) All(acks map[string]Ack) []Listed {
	var out []Listed
	for _, s := range st.Findings {
		l := Listed{Stored: s}
		if a, ok := acks[s.Finding.ID]; ok {
			l.Ack = &a
		}
		out = append(out, l)
	}
	sortListed(out)
	return out
}
