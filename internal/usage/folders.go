package usage

import (
	"context"
	"database/sql"
)

// FolderState is what a scan found of one folder of a local source that
// it listed whole (no file left out by a filter, no listing error) and
// whose every log file it then held marked: the folder's modification time
// (Unix ns) and its number of log files (0 for a folder of digest files).
// Adding, removing or renaming a
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
// with log files is recorded in the row its marks made: with no row, none
// of its files is marked, and it is listed again. A folder recorded whole
// that holds no log file (a folder of digest files: CloudTrail-Digest/…)
// gets a row with no marks, so that a later scan need not list it either.
func recordFolders(ctx context.Context, tx *sql.Tx, fs []FolderState, now int64) error {
	if len(fs) == 0 {
		return nil
	}
	var stmts [3]*sql.Stmt
	for i, text := range [...]string{
		`UPDATE scanned_dirs SET listed_mtime=?, listed_files=? WHERE source=? AND dir=?`,
		`INSERT INTO scanned_dirs(source,dir,objects,scanned_at,entries,listed_mtime,listed_files) VALUES(?,?,0,?,x'',?,0)
			ON CONFLICT(source,dir) DO UPDATE SET listed_mtime=excluded.listed_mtime, listed_files=0`,
		`UPDATE scanned_dirs SET listed_mtime=NULL, listed_files=NULL WHERE source=? AND dir=?`,
	} {
		st, err := tx.PrepareContext(ctx, text)
		if err != nil {
			return err
		}
		defer st.Close()
		stmts[i] = st
	}
	update, noLogs, unset := stmts[0], stmts[1], stmts[2]
	for _, f := range fs {
		var err error
		switch {
		case f.MTime == 0:
			_, err = unset.ExecContext(ctx, f.Source, f.Dir)
		case f.Files == 0:
			_, err = noLogs.ExecContext(ctx, f.Source, f.Dir, now, f.MTime)
		default:
			_, err = update.ExecContext(ctx, f.MTime, f.Files, f.Source, f.Dir)
		}
		if err != nil {
			return err
		}
	}
	return nil
}
