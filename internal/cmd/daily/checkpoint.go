package daily

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"

	_ "modernc.org/sqlite" // the driver the usage store uses

	"github.com/seiri-dev/seiri/internal/usage"
)

// checkpointUsage folds the usage store's write-ahead log into the database
// file, so that the one file uploaded to an S3 workspace holds everything
// (https://www.sqlite.org/pragma.html#pragma_wal_checkpoint). Every
// connection of this run is closed before; the last close removes the
// emptied -wal file.
func checkpointUsage(ctx context.Context, path string) error {
	if _, err := os.Stat(path); errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	db, err := sql.Open("sqlite", "file:"+usage.URIPath(path)+"?_pragma=busy_timeout(60000)")
	if err != nil {
		return err
	}
	defer db.Close()
	var busy, logFrames, done int
	if err := db.QueryRowContext(ctx, `PRAGMA wal_checkpoint(TRUNCATE)`).Scan(&busy, &logFrames, &done); err != nil {
		return fmt.Errorf("usage store %s: checkpoint: %w", path, err)
	}
	if busy != 0 {
		return fmt.Errorf("usage store %s: checkpoint blocked by another connection", path)
	}
	return nil
}
