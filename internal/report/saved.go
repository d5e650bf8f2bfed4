package report

import (
	"encoding/json"
	"fmt"
	"path/filepath"
	"time"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// SavedVersion is the schema version of a saved findings file.
const SavedVersion = 1

// Saved is the audit of one snapshot kept in the workspace, so that a later
// report's trend reads it instead of auditing that snapshot again.
type Saved struct {
	SchemaVersion int             `json:"schemaVersion"`
	Snapshot      string          `json:"snapshot"` // the snapshot's folder name
	SavedAt       time.Time       `json:"savedAt"`
	By            string          `json:"by"` // the command that audited: "seiri report", "seiri daily"
	Report        *finding.Report `json:"report"`
}

// SavedPath is where the findings of snapshot are saved in a workspace's
// reports folder.
func SavedPath(reportsDir, snapshot string) string {
	return filepath.Join(reportsDir, "findings-"+snapshot+".json")
}

// SaveFindings writes s to path (mode 0600, atomically).
func SaveFindings(path string, s Saved) error {
	s.SchemaVersion = SavedVersion
	b, err := json.MarshalIndent(s, "", " ")
	if err != nil {
		return err
	}
	return workspace.WriteFile(path, append(b, '\n'))
}

// LoadSaved reads the findings saved for snapshot at path. A missing file
// is an error matching fs.ErrNotExist; a file that is not a saved audit of
// that snapshot is an error naming the file and what is wrong.
func LoadSaved(path, snapshot string) (*Saved, error) {
	b, err := workspace.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var s Saved
	if err := json.Unmarshal(b, &s); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	switch {
	case s.SchemaVersion != SavedVersion:
		return nil, fmt.Errorf("%s: schema version %d, want %d", path, s.SchemaVersion, SavedVersion)
	case s.Snapshot != snapshot:
		return nil, fmt.Errorf("%s: holds the findings of snapshot %q, not %q", path, s.Snapshot, snapshot)
	case s.Report == nil:
		return nil, fmt.Errorf("%s: no report", path)
	}
	return &s, nil
}
