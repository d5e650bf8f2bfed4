package routine

import (
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"time"

	"github.com/seiri-dev/seiri/internal/workspace"
)

// StateSchema is the version of state.json.
const StateSchema = 1

// StateFile is where the routine keeps "yesterday", inside the workspace.
const StateFile = "daily/state.json"

// State is what one run leaves for the next: the findings open, the
// watched items and which of them were already safe to delete. It holds
// no secret (finding titles and resource ARNs only).
type State struct {
	Schema       int          `json:"schema"`
	Date         time.Time    `json:"date"`
	Findings     []FindingRef `json:"findings"`
	Watched      []Watched    `json:"watched"`
	SafeToDelete []string     `json:"safeToDelete,omitempty"`
}

// LoadState reads the state the last run left in the workspace directory
// dir: nil, nil when there is none (the first run).
func LoadState(dir string) (*State, error) {
	path := filepath.Join(dir, StateFile)
	b, err := workspace.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var st State
	if err := json.Unmarshal(b, &st); err != nil {
		return nil, fmt.Errorf("daily state %s: %w (move it aside to start over: the next run then reports everything as new)", path, err)
	}
	if st.Schema != StateSchema {
		return nil, fmt.Errorf("daily state %s: schema %d, this seiri reads %d", path, st.Schema, StateSchema)
	}
	return &st, nil
}

// SaveState writes st atomically (0600 in a 0700 folder).
func SaveState(ws *workspace.Workspace, st *State) error {
	dir, err := ws.Subdir("daily")
	if err != nil {
		return err
	}
	b, err := json.MarshalIndent(st, "", "  ")
	if err != nil {
		return err
	}
	return workspace.WriteFileSync(filepath.Join(dir, "state.json"), append(b, '\n'))
}
