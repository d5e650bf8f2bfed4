package workspace

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// A workspace URL given to a command that needs a folder is refused and
// creates nothing (no folder named "s3:").
func TestOpenRefusesURL(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, open := range []func(string) (*Workspace, error){Open, OpenExisting} {
		_, err := open("s3://bucket/prefix")
		if err == nil || !strings.Contains(err.Error(), "only seiri daily keeps a workspace in S3") {
			t.Errorf("err = %v", err)
		}
	}
	if _, err := os.Stat(filepath.Join(".", "s3:")); !os.IsNotExist(err) {
		t.Errorf("a folder was created: %v", err)
	}
}
