package usage

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
)

// OpenReadOnly opens an existing store for a command that only reads (it
// creates nothing and writes nothing), so that a read-only copy of a
// workspace, shared with auditors, can be queried. A missing store is an
// error matching fs.ErrNotExist; a symbolic link is refused. A store of an
// older schema is upgraded first when its file is writable (the one write a
// reader makes), and refused with what to run when it is not.
func OpenReadOnly(ctx context.Context, path string) (*Store, error) {
	fi, err := os.Lstat(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("no usage store at %s: run `seiri trail scan` first: %w", path, fs.ErrNotExist)
		}
		return nil, fmt.Errorf("usage store %q: %w", path, err)
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		return nil, fmt.Errorf("usage store %q is a symbolic link; seiri does not follow links inside its workspace: remove it", path)
	}
	s, v, err := openRO(ctx, path, false)
	if err != nil {
		// A WAL database in a folder we cannot write: SQLite cannot create
		// its shared-memory file, so read the file as immutable (nobody can
		// be writing it through this folder's permissions either).
		s, v, err = openRO(ctx, path, true)
	}
	if err != nil {
		return nil, fmt.Errorf("usage store %q: %w", path, err)
	}
	if v == fmt.Sprint(SchemaVersion) {
		return s, nil
	}
	s.Close()
	if f, werr := os.OpenFile(path, os.O_RDWR, 0); werr == nil {
		f.Close()
		up, err := Open(ctx, path) // upgrades the schema
		if err != nil {
			return nil, err
		}
		up.Close()
		if s, v, err = openRO(ctx, path, false); err == nil && v == fmt.Sprint(SchemaVersion) {
			return s, nil
		}
		if err == nil {
			s.Close()
		}
	}
	return nil, fmt.Errorf("usage store %q: schema version %s, this seiri reads version %d: run `seiri trail scan` on a writable copy to upgrade it", path, v, SchemaVersion)
}

func openRO(ctx context.Context, path string, immutable bool) (*Store, string, error) {
	dsn := "file:" + URIPath(path) + "?mode=ro&_pragma=busy_timeout(10000)&_pragma=query_only(1)"
	if immutable {
		dsn += "&immutable=1"
	}
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, "", err
	}
	db.SetMaxOpenConns(1)
	var v string
	if err := db.QueryRowContext(ctx, `SELECT v FROM meta WHERE k='schema'`).Scan(&v); err != nil {
		db.Close()
		return nil, "", err
	}
	return &Store{db: db, path: path}, v, nil
}
