package plan

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/seiri-dev/seiri/internal/workspace"
)

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// WriteBackup stores v (which must hold no secret) as JSON under dir, named
// after the time and name, and returns the file's path. Backups are never
// overwritten.
func WriteBackup(dir, name string, at time.Time, v any) (string, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return "", err
	}
	base := at.UTC().Format("20060102T150405Z") + "-" + unsafeName.ReplaceAllString(name, "_")
	p := filepath.Join(dir, base+".json")
	for i := 1; ; i++ {
		if _, err := os.Stat(p); os.IsNotExist(err) {
			break
		}
		p = filepath.Join(dir, fmt.Sprintf("%s-%d.json", base, i))
	}
	return p, writeDurable(p, append(b, '\n'))
}

// writeDurable writes a backup so that it survives a crash or power loss
// before the delete it protects is sent: the file is fsynced before its
// rename and the folder after it (workspace.WriteFileSync). A symbolic
// link planted in its place is replaced, never written through.
func writeDurable(path string, data []byte) error {
	return workspace.WriteFileSync(path, data)
}

// ReadBackup reads a backup written by WriteBackup.
func ReadBackup(path string, v any) error {
	b, err := workspace.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("backup %s: %w", path, err)
	}
	return nil
}
