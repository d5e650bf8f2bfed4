package usage

import (
	"context"
	"database/sql"
)

// FolderState is what a scan found of one folder of a local source that
// it listed whole (no file left out by a filter, no listing error) and
// whose every log file it then held marked: the folder's modification time
// (Unix ns) and its number of log files. Adding, removing or renaming a
// file changes a folder's modification time, so while it is the same the
// folder holds the same files, all read: a later scan need not list it
// (trail.FolderSource). MTime 0 clears what was recorded of the folder.
type FolderState struct {
	Source string
	Dir    string // as in an object's key: the part before its last '/' ("" at the source's root)
	MTime  int64
	Files  int64
}

// FoldersListedWhole returns source's folders recorded as listed whole
// (see FolderState), by folder, as the store held them at Begin.
func (w *Writer) FoldersListedWhole(ctx context.Context, source string) (map[string]FolderState, error) {
	rs, err := w.rdb.QueryContext(ctx, `SELECT dir, listed_mtime, listed_files FROM scanned_dirs WHERE source=? AND listed_mtime IS NOT NULL`, source)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	out := map[string]FolderState{}
	for rs.Next() {
		var f FolderState
		f.Source = source
		if err := rs.Scan(&f.Dir, &f.MTime, &f.Files); err != nil {
			return nil, err
		}
		out[f.Dir] = f
	}
	return out, rs.Err()
}

// recordFolders writes what a scan found of its source's folders (after
// its marks: markObjects rewriting a folder's row clears them). A folder
// with no marks has no row, and nothing is recorded of it: it is listed
// again.
func recordFolders(ctx context.Context, tx *sql.Tx, fs []FolderState) error {
	if len(fs) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `UPDATE scanned_dirs SET listed_mtime=?, listed_files=? WHERE source=? AND dir=?`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, f := range fs {
		var mtime, files any // NULL: cleared
		if f.MTime != 0 {
			mtime, files = f.MTime, f.Files
		}
		if _, err := st.ExecContext(ctx, mtime, files, f.Source, f.Dir); err != nil {
			return err
		}
	}
	return nil
}
