package plan

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/seiri-dev/seiri/internal/workspace"
)

// Phase of a journal entry.
type Phase string

const (
	Begin   Phase = "begin"   // written before the AWS call
	Done    Phase = "done"    // the call succeeded
	Failed  Phase = "failed"  // the call failed
	Skipped Phase = "skipped" // already in effect (idempotent re-run)
	Note    Phase = "note"    // an operator action without an AWS call (override, wait recorded, ...)
)

// Entry is one line of the journal (journal.jsonl). Never holds secrets.
type Entry struct {
	Time     time.Time       `json:"time"`
	Plan     string          `json:"plan,omitempty"`
	Change   string          `json:"change,omitempty"`
	Phase    Phase           `json:"phase"`
	Kind     string          `json:"kind,omitempty"`
	Account  string          `json:"account,omitempty"`
	Target   string          `json:"target,omitempty"`
	Operator string          `json:"operator,omitempty"`
	Detail   string          `json:"detail,omitempty"`
	Error    string          `json:"error,omitempty"`
	Data     json.RawMessage `json:"data,omitempty"`
}

// Journal is the append-only record of every write seiri made or tried.
type Journal struct {
	// Torn counts lines cut short by a crash, seen by the last Entries call.
	Torn int
	path string
	now  func() time.Time
}

// OpenJournal returns the journal at path (created 0600 on first write).
func OpenJournal(path string, now func() time.Time) *Journal {
	if now == nil {
		now = func() time.Time { return time.Now().UTC() }
	}
	return &Journal{path: path, now: now}
}

// Path is the journal's file.
func (j *Journal) Path() string { return j.path }

// Append writes one entry and syncs it to disk before returning, so a crash
// right after an AWS call still leaves the "begin" line.
func (j *Journal) Append(e Entry) error {
	if e.Time.IsZero() {
		e.Time = j.now()
	}
	b, err := json.Marshal(e)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(j.path), workspace.DirMode); err != nil {
		return err
	}
	f, err := workspace.OpenAppend(j.path) // refuses a planted symbolic link
	if err != nil {
		return fmt.Errorf("journal: %w", err)
	}
	// After a crash mid-write the file may end in a torn line: start on a
	// fresh line so this entry stays readable.
	if fi, err := f.Stat(); err == nil && fi.Size() > 0 {
		last := make([]byte, 1)
		if rf, err := os.Open(j.path); err == nil {
			rf.ReadAt(last, fi.Size()-1)
			rf.Close()
		}
		if last[0] != '\n' {
			b = append([]byte{'\n'}, b...)
		}
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("journal: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("journal: %w", err)
	}
	return f.Close()
}

// Entries reads the whole journal. Torn lines (a crash mid-write: the line
// stops before its closing brace) are counted in Torn and skipped; any other
// corrupt line is an error naming the line.
func (j *Journal) Entries() ([]Entry, error) {
	f, err := workspace.OpenRead(j.path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []Entry
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	line := 0
	j.Torn = 0
	for sc.Scan() {
		line++
		raw := bytes.TrimSpace(sc.Bytes())
		if len(raw) == 0 {
			continue
		}
		var e Entry
		if err := json.Unmarshal(raw, &e); err != nil {
			if raw[len(raw)-1] != '}' {
				j.Torn++
				continue
			}
			return nil, fmt.Errorf("journal %s: line %d: %v", j.path, line, err)
		}
		out = append(out, e)
	}
	return out, sc.Err()
}

// Status summarises what the journal says about each change of a plan.
func (j *Journal) Status(planID string) (map[string]Phase, error) {
	es, err := j.Entries()
	if err != nil {
		return nil, err
	}
	st := map[string]Phase{}
	for _, e := range es {
		if e.Plan == planID && e.Change != "" && e.Phase != Note {
			st[e.Change] = e.Phase
		}
	}
	return st, nil
}
