package usage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"modernc.org/sqlite" // pure-Go SQLite: the binary stays static (no cgo)
	sqlite3 "modernc.org/sqlite/lib"
)

// SchemaVersion is stored in the meta table; Open refuses a newer store.
// 2: usage rows gain their region. 3: the usage_by_action summary table.
// 4: compact usage rows (rowid table, U+001F-joined sets), the object
// ledger (objects) and the engines' coverage. 5: temporary (ASIA) keys
// leave the usage key for the session_use table. 6: session_keys and
// session_use indexed by time, pruned past SessionRetention. 7: usage rows
// and their summary keyed by dictionary ids (strs), session keys packed per
// issuer and day, session_key_days (docs/trail.md, "The store"). 8: the
// ledger and path marks in a binary encoding, XXH3 digests, the contents
// table (docs/bench-trail.md, "Session 6: ledger"). 9: sample sets as ids
// of their own dictionary, sample_strs (see encodeSamples); the folders a
// scan listed whole (scanned_dirs.listed_mtime, see FolderState).
const SchemaVersion = 9

// schemaUsageV6 is the usage table of schemas 4 to 6 and its indexes: what
// the upgrades of older stores build before moving the rows to schema 7.
const schemaUsageV6 = `
-- usage is a rowid table with a unique index on its key: every secondary
-- index then repeats the rowid (8 bytes) instead of the whole key (~155
-- bytes with ARNs), which shrank the store by a third (docs/bench-trail.md).
-- Sample sets are their values joined by U+001F (see joinSet).
CREATE TABLE IF NOT EXISTS usage (
	id INTEGER PRIMARY KEY,
	account TEXT NOT NULL,
	principal TEXT NOT NULL,
	principal_type TEXT NOT NULL,
	access_key_id TEXT NOT NULL,
	action TEXT NOT NULL,
	resource TEXT NOT NULL,
	error_code TEXT NOT NULL,
	region TEXT NOT NULL DEFAULT '',
	first_seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	count INTEGER NOT NULL,
	authz INTEGER NOT NULL,
	ip_classes TEXT NOT NULL,
	source_ips TEXT NOT NULL,
	user_agents TEXT NOT NULL,
	vpc_endpoints TEXT NOT NULL,
	sessions TEXT NOT NULL,
	source_identities TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS usage_key ON usage (account, principal, principal_type, access_key_id, action, resource, error_code, region);
CREATE INDEX IF NOT EXISTS usage_principal ON usage (principal);
CREATE INDEX IF NOT EXISTS usage_access_key ON usage (access_key_id) WHERE access_key_id <> '';
CREATE INDEX IF NOT EXISTS usage_action ON usage (action);
`

// schemaAux is every other table.
const schemaAux = `
CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL);
-- Scanned objects are kept as one row per folder (a delivery day of one
-- account and region), listing its files: loading 100,000 marks is then a
-- few hundred rows, not 100,000 (a rescan with nothing new stays fast).
-- Schema 8: the marks of files whose objects a delivery folder row of the
-- ledger holds are folded into that row's entries (objects.owner names the
-- source and folder they were read from; scanned_dirs.ldir the ledger
-- folder), the others listed here (see markObjects).
CREATE TABLE IF NOT EXISTS scanned_dirs (
	source TEXT NOT NULL,
	dir TEXT NOT NULL,
	objects INTEGER NOT NULL,
	scanned_at INTEGER NOT NULL,
	entries BLOB NOT NULL,
	ldir TEXT,
	-- Schema 9: the folder's modification time (Unix ns) and its number of
	-- log files when a scan listed it whole and found every file in it
	-- marked; NULL otherwise. A later scan of a local source skips the
	-- folder while its time is the same (see FolderState). Rewriting the
	-- row's marks (markObjects) clears them.
	listed_mtime INTEGER,
	listed_files INTEGER,
	PRIMARY KEY (source, dir)
) WITHOUT ROWID;
-- objects is the ledger of log objects whose records the store holds, by
-- identity (see ObjectID), whatever path or source they were read from: one
-- row per folder, entries "name TAB decompressed size TAB digest" per line.
CREATE TABLE IF NOT EXISTS objects (
	dir TEXT NOT NULL PRIMARY KEY,
	n INTEGER NOT NULL,
	entries BLOB NOT NULL,
	owner TEXT
) WITHOUT ROWID;
-- contents: the digests (algorithm byte, 16 bytes) of the objects counted
-- outside the delivery layout (their identity) and, once the store met an
-- object to compare with every counted one (meta content_index = 1), of
-- every counted object (schema 8, see recordObjects).
CREATE TABLE IF NOT EXISTS contents (d BLOB NOT NULL PRIMARY KEY) WITHOUT ROWID;
-- coverage says which engine holds each delivery unit (day folder of one
-- account and region): the local engine for the units it read files of,
-- Athena for the days (and accounts/regions, '*' for all) it queried. Each
-- engine leaves the other's units alone, so mixing them never counts twice.
CREATE TABLE IF NOT EXISTS coverage (
	day TEXT NOT NULL,     -- YYYY/MM/DD (the delivery folder)
	account TEXT NOT NULL, -- or '*'
	region TEXT NOT NULL,  -- or '*'
	engine TEXT NOT NULL,  -- local, athena
	PRIMARY KEY (day, account, region)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS unmapped (
	event_source TEXT NOT NULL,
	event_name TEXT NOT NULL,
	count INTEGER NOT NULL,
	first_seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	PRIMARY KEY (event_source, event_name)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS scan_runs (
	id INTEGER PRIMARY KEY,
	engine TEXT NOT NULL,
	started_at INTEGER NOT NULL,
	finished_at INTEGER NOT NULL,
	since INTEGER NOT NULL,
	until INTEGER NOT NULL,
	sources TEXT NOT NULL,
	summary TEXT NOT NULL
);
`

// schemaLegacyV6 is the summary and session key tables of schemas 3 to 6
// (text keys): what the upgrades of older stores build before schema 7.
const schemaLegacyV6 = `
-- usage_by_action folds usage rows without their access key and resource:
-- what "seiri unused" needs (which actions a principal used, and when last).
-- Scanning 10 million usage rows costs ~30 s in pure-Go SQLite; an
-- organization has a few hundred thousand (principal, action) pairs. It is
-- maintained in the transaction that merges usage rows (upsertRows) and
-- backfilled when a schema 2 store is opened. Principal first in the key: the
-- per-account read is a key range, and GROUP BY principal streams in order.
CREATE TABLE IF NOT EXISTS usage_by_action (
	principal TEXT NOT NULL,
	account TEXT NOT NULL,
	principal_type TEXT NOT NULL,
	action TEXT NOT NULL,
	error_code TEXT NOT NULL,
	region TEXT NOT NULL,
	authz INTEGER NOT NULL,
	first_seen INTEGER NOT NULL,
	last_seen INTEGER NOT NULL,
	count INTEGER NOT NULL,
	nrows INTEGER NOT NULL, -- usage rows folded here (Totals counts rows without scanning usage)
	PRIMARY KEY (principal, account, principal_type, action, error_code, region, authz)
) WITHOUT ROWID;
-- Session keys and where they came from: an STS call (AssumeRole,
-- GetSessionToken, GetFederationToken, ...) made with issuer_key returned
-- session_key. Links ASIA keys to the long-term key or role that made them.
CREATE TABLE IF NOT EXISTS session_keys (
	session_key TEXT NOT NULL,
	issuer_key TEXT NOT NULL,
	issuer_principal TEXT NOT NULL,
	action TEXT NOT NULL,
	role TEXT NOT NULL,
	issued_at INTEGER NOT NULL,
	PRIMARY KEY (session_key, issuer_key)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS session_keys_issuer ON session_keys (issuer_key);
`

// Store is the usage database (<workspace>/usage.db).
type Store struct {
	db   *sql.DB
	path string
	// Waiting, when set, is told once that another process holds the
	// store's write lock and this one waits for it (see Lock). Unset, the
	// message goes to standard error.
	Waiting func(msg string)

	lockMu sync.Mutex
	lock   *os.File // held write lock, nil if none
}

// Open opens (creating 0600) the store at path.
func Open(ctx context.Context, path string) (*Store, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("usage store %q: %w", path, err)
	}
	if _, err := os.Stat(path); errors.Is(err, os.ErrNotExist) {
		f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("usage store %q: %w", path, err)
		}
		f.Close()
	}
	// WAL lets readers run while a scan commits. Writers are serialized by
	// the store's lock file (Lock) and every transaction begins IMMEDIATE:
	// a transaction that read first and then wanted to write could fail
	// with SQLITE_BUSY after all its work; an IMMEDIATE one waits for the
	// write lock up front (busy_timeout), before doing anything.
	// https://www.sqlite.org/lang_transaction.html
	// The store is read through a memory map of up to mmapSize (a Writer
	// into a store holding rows turns it off while it writes). A new store
	// gets pages of pageSize; the driver runs the _pragma list sorted by
	// name, so journal_mode is the _journal_mode key, applied after it:
	// switching an empty file to WAL first would fix its pages at 4 KB.
	dsn := "file:" + URIPath(path) + "?_txlock=immediate&_pragma=busy_timeout(60000)&_pragma=page_size(" + strconv.Itoa(pageSize) + ")&_journal_mode=WAL&_pragma=synchronous(NORMAL)&_pragma=mmap_size(" + strconv.Itoa(mmapSize) + ")&_pragma=temp_store(MEMORY)"
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("usage store %q: %w", path, err)
	}
	db.SetMaxOpenConns(1) // SQLite has one writer; one connection avoids SQLITE_BUSY between our own goroutines
	s := &Store{db: db, path: path}
	// Processes creating the same store at once (two scans started
	// together in a new workspace) meet while one turns the new file to
	// WAL: SQLite then says SQLITE_BUSY at once, without waiting
	// (busy_timeout). init does nothing twice (IF NOT EXISTS, OR IGNORE,
	// upgrades under the lock): it is tried again, as long as busy_timeout
	// would have waited (TestOpenAtOnce).
	for start := time.Now(); ; {
		err = s.init(ctx)
		if err == nil {
			return s, nil
		}
		var se *sqlite.Error
		if !errors.As(err, &se) || se.Code()&0xff != sqlite3.SQLITE_BUSY || time.Since(start) > time.Minute {
			db.Close()
			return nil, fmt.Errorf("usage store %q: %w", path, err)
		}
		select {
		case <-ctx.Done():
			db.Close()
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// mmapSize is how much of the store its connection maps (PRAGMA mmap_size).
const mmapSize = 256 << 20

// pageSize is the page size of a new store (an existing one keeps its
// own: SQLite changes it only by rebuilding the file). With 16 KB pages
// instead of SQLite's 4 KB, a fresh scan's COMMIT copies a quarter as
// many pages from the WAL into the file: what is left of the 300 MB
// corpus's commit after its last file read went from 52–79 ms to 12–60 ms
// (docs/bench-trail.md, session 12), the one-hour rescans and the read
// side unchanged, the 3 GB corpus's store 6 % larger (257 B per usage row
// instead of 241), the 300 MB corpus's 4 % smaller.
const pageSize = 16 << 10

func (s *Store) init(ctx context.Context) error {
	if _, err := s.db.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS meta (k TEXT PRIMARY KEY, v TEXT NOT NULL)`); err != nil {
		return err
	}
	var v string
	err := s.db.QueryRowContext(ctx, `SELECT v FROM meta WHERE k='schema'`).Scan(&v)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		// One transaction: one commit instead of one per table, and a
		// store two processes create at once gets one schema row.
		tx, err := s.db.BeginTx(ctx, nil)
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.ExecContext(ctx, schemaAux+schemaStrs+schemaUsage+strings.Join(secondaryIndexes, ";\n")+";"+schemaSessionUse+schemaSessions); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO meta(k,v) VALUES('schema',?)`, fmt.Sprint(SchemaVersion)); err != nil {
			return err
		}
		return tx.Commit()
	case err != nil:
		return err
	}
	if v == fmt.Sprint(SchemaVersion) {
		return nil
	}
	if n, err := strconv.Atoi(v); err != nil || n < 1 || n > SchemaVersion {
		return fmt.Errorf("schema version %s, this seiri reads version %d", v, SchemaVersion)
	}
	// An upgrade changes the store for good: one writer at a time.
	if err := s.Lock(ctx); err != nil {
		return err
	}
	defer s.Unlock()
	if v != "7" && v != "8" {
		if err := upgradeToV6(ctx, s.db, v); err != nil {
			return err
		}
		if err := migrateV6(ctx, s.db); err != nil {
			return fmt.Errorf("upgrade schema 6 → 7 (dictionary-encoded usage rows, packed session keys): %w", err)
		}
	}
	if v != "8" {
		if err := migrateV7(ctx, s.db); err != nil {
			return fmt.Errorf("upgrade schema 7 → 8 (binary ledger and path marks): %w", err)
		}
	}
	if err := migrateSamples(ctx, s.db); err != nil {
		return fmt.Errorf("upgrade schema 8 → 9 (sample sets as dictionary ids, folders listed whole): %w", err)
	}
	return nil
}

// upgradeToV6 brings a store of schema 1 to 5 to schema 6 (the earlier
// upgrades, unchanged), the starting point of migrateV6.
func upgradeToV6(ctx context.Context, db *sql.DB, v string) error {
	switch v {
	case "6":
		return nil
	case "4", "5":
		// schema 5 adds a table; rows recorded under a session key keep it
		// (Usage still finds them by that key). Schema 6 adds indexes.
		_, err := db.ExecContext(ctx, schemaSessionUse+schemaSessionTimeV6+`UPDATE meta SET v='6' WHERE k='schema';`)
		return err
	}
	if _, err := db.ExecContext(ctx, schemaAux+schemaLegacyV6); err != nil {
		return err
	}
	if v == "1" {
		if err := migrateV1(ctx, db); err != nil {
			return fmt.Errorf("upgrade schema 1 → 2 (usage rows gain their region): %w", err)
		}
		v = "2"
	}
	if v == "2" {
		if err := migrateV2(ctx, db); err != nil {
			return fmt.Errorf("upgrade schema 2 → 3 (usage summary per action): %w", err)
		}
		v = "3"
	}
	if err := migrateV3(ctx, db); err != nil {
		return fmt.Errorf("upgrade schema 3 → 4 (compact usage rows, object ledger): %w", err)
	}
	_, err := db.ExecContext(ctx, schemaSessionUse+schemaSessionTimeV6+`UPDATE meta SET v='6' WHERE k='schema';`)
	return err
}

// migrateV1 adds the region to the key of every usage row (schema 2).
// Rows of a version-1 store keep an empty region: "not recorded".
func migrateV1(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cols, err := tableColumns(ctx, tx, "usage")
	if err != nil {
		return err
	}
	if slices.Contains(cols, "region") {
		if _, err := tx.ExecContext(ctx, `UPDATE meta SET v='2' WHERE k='schema'`); err != nil {
			return err
		}
		return tx.Commit()
	}
	old := strings.Join(cols, ",")
	for _, stmt := range []string{
		`ALTER TABLE usage RENAME TO usage_v1`,
		`DROP INDEX IF EXISTS usage_principal`, `DROP INDEX IF EXISTS usage_access_key`, `DROP INDEX IF EXISTS usage_action`,
		schemaUsageV6,
		`INSERT INTO usage(` + old + `) SELECT ` + old + ` FROM usage_v1`,
		`DROP TABLE usage_v1`,
		`UPDATE meta SET v='2' WHERE k='schema'`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return tx.Commit()
}

func tableColumns(ctx context.Context, tx *sql.Tx, table string) ([]string, error) {
	var cols []string
	rs, err := tx.QueryContext(ctx, `SELECT name FROM pragma_table_info(?)`, table)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		var n string
		if err := rs.Scan(&n); err != nil {
			return nil, err
		}
		cols = append(cols, n)
	}
	return cols, rs.Err()
}

// migrateV2 fills the usage_by_action table from the rows already stored
// (schema 3). The table itself was created by the schema statement.
func migrateV2(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, stmt := range []string{
		`DELETE FROM usage_by_action`,
		summaryFold + summaryGroup,
		`UPDATE meta SET v='3' WHERE k='schema'`,
	} {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	return tx.Commit()
}

// migrateV3 moves usage rows into the schema 4 table (a rowid table, sample
// sets joined by U+001F instead of JSON arrays) and seeds the object ledger
// from the scanned objects of the earlier bookkeeping: their identity is
// known from their path (delivery layout) but not their digest, so a later
// read of the same object is recognised by identity and kept (a changed
// file cannot be told from an unchanged one without the digest: it is kept,
// never added twice). Objects outside the delivery layout had no identity
// but their path: their path marks stay, so they are not read again while
// unchanged; a copy of one elsewhere would be counted again (documented).
func migrateV3(ctx context.Context, db *sql.DB) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	cols, err := tableColumns(ctx, tx, "usage")
	if err != nil {
		return err
	}
	const sets = "ip_classes,source_ips,user_agents,vpc_endpoints,sessions,source_identities"
	conv := []string{}
	for _, c := range strings.Split(sets, ",") {
		conv = append(conv, "seiri_set_from_json("+c+")")
	}
	const keys = "account,principal,principal_type,access_key_id,action,resource,error_code,region,first_seen,last_seen,count,authz"
	var stmts []string
	if !slices.Contains(cols, "id") {
		stmts = append(stmts,
			`ALTER TABLE usage RENAME TO usage_v3`,
			`DROP INDEX IF EXISTS usage_principal`, `DROP INDEX IF EXISTS usage_access_key`, `DROP INDEX IF EXISTS usage_action`,
			schemaUsageV6,
			`INSERT INTO usage(`+keys+","+sets+`) SELECT `+keys+","+strings.Join(conv, ",")+` FROM usage_v3 ORDER BY account,principal,principal_type,access_key_id,action,resource,error_code,region`,
			`DROP TABLE usage_v3`)
	} else {
		// Upgraded from schema 1 in this same opening: the table has the new
		// shape, the sets are still JSON.
		var set []string
		for i, c := range strings.Split(sets, ",") {
			set = append(set, c+"="+conv[i])
		}
		stmts = append(stmts, `UPDATE usage SET `+strings.Join(set, ","))
	}
	stmts = append(stmts, `UPDATE meta SET v='4' WHERE k='schema'`)
	for _, stmt := range stmts {
		if _, err := tx.ExecContext(ctx, stmt); err != nil {
			return err
		}
	}
	if err := seedLedger(ctx, tx); err != nil {
		return err
	}
	return tx.Commit()
}

// URIPath escapes a file path for a "file:" URI: SQLite ends the path at
// '?' or '#' ("go test" temp dirs of subtests hold '#'), so without escaping
// two stores would share the file named by the path's prefix.
// https://www.sqlite.org/uri.html
func URIPath(path string) string {
	return strings.NewReplacer("%", "%25", "?", "%3f", "#", "%23").Replace(path)
}

// Close releases the write lock, if held, and closes the database.
func (s *Store) Close() error {
	s.Unlock()
	return s.db.Close()
}

// Path is the database file.
func (s *Store) Path() string { return s.path }

// Object is a log object (file or S3 object) whose records are in the store.
type Object struct {
	Source string // the source it came from: a directory, s3://bucket/prefix
	Key    string // path relative to the source, or the S3 key
	Size   int64
	ETag   string // S3 ETag; "" for files
	MTime  time.Time
	// ID is the object's identity (see ObjectID), ContentSize its
	// decompressed size and Digest the digest of that content (Digest).
	ID          ObjectID
	ContentSize int64
	Digest      string
	// Counted: the batch's rows hold this object's records, and the ledger
	// gains it. Otherwise the object was recognised as one already counted
	// (another path, a copy, a touched file) and only its path is marked.
	Counted bool
}

// ObjectMark is what the store remembers about a scanned object.
type ObjectMark struct {
	Size  int64
	ETag  string
	MTime time.Time
}

// Same reports whether o is the object the mark was taken of (an object that
// changed size, etag or mtime is read again).
func (m ObjectMark) Same(o Object) bool {
	return m.Size == o.Size && m.ETag == o.ETag && m.MTime.Unix() == o.MTime.Unix()
}

// UnmappedPair is an (eventSource, eventName) the mapping did not know.
type UnmappedPair struct {
	EventSource string    `json:"eventSource"`
	EventName   string    `json:"eventName"`
	Count       int64     `json:"count"`
	FirstSeen   time.Time `json:"firstSeen"`
	LastSeen    time.Time `json:"lastSeen"`
}

// Run describes one scan (either engine).
type Run struct {
	ID         int64           `json:"id"`
	Engine     string          `json:"engine"` // "local", "athena"
	StartedAt  time.Time       `json:"startedAt"`
	FinishedAt time.Time       `json:"finishedAt"`
	Since      time.Time       `json:"since"`
	Until      time.Time       `json:"until"`
	Sources    []string        `json:"sources"`
	Summary    json.RawMessage `json:"summary"` // the engine's own summary (counts, skips, coverage)
}

// Batch is everything one scan adds, committed atomically: rows are merged,
// objects are marked scanned, unmapped pairs are added, the run is recorded.
// Marks and rows go together, so an interrupted scan leaves no object marked
// whose records are missing (a rerun reads it again).
type Batch struct {
	Rows []Row
	// RowSet, if set, are more rows (usage.Writer only), built one at a
	// time as they are stored.
	RowSet      RowSet
	Unmapped    []UnmappedPair
	SessionKeys []SessionKey
	// SessionUses are the temporary keys used per principal and day.
	SessionUses []SessionUse
	Objects     []Object
	// Folders are what the scan found of the local folders it listed
	// (written after Objects' marks, see FolderState).
	Folders []FolderState
	Run     *Run
	// AthenaUnits are the units an Athena scan covered ('*' for every
	// account or region of a day); AthenaExcluded the units the query left
	// out because the local engine holds them.
	AthenaUnits    []Unit
	AthenaExcluded []Unit
}

// SessionKey records that an STS call made with IssuerKey returned
// SessionKey (from the call's responseElements.credentials.accessKeyId).
type SessionKey struct {
	SessionKey      string    `json:"sessionKey"`
	IssuerKey       string    `json:"issuerKey"`
	IssuerPrincipal string    `json:"issuerPrincipal"`
	Action          string    `json:"action"`         // sts:AssumeRole, sts:GetSessionToken, ...
	Role            string    `json:"role,omitempty"` // the role assumed, if any
	IssuedAt        time.Time `json:"issuedAt"`
}

// Commit merges b into the store in one transaction, holding the store's
// write lock (taken here if the scan did not take it with Ledger, and
// released when the commit ends either way).
func (s *Store) Commit(ctx context.Context, b Batch) (err error) {
	if err := s.Lock(ctx); err != nil {
		return err
	}
	defer s.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	// The ledger first: an object counted already refuses the batch
	// before any row is merged.
	d, err := newDict(ctx, tx)
	if err != nil {
		return err
	}
	defer d.close()
	if err = commitRest(ctx, tx, d, b); err != nil {
		return err
	}
	if err = upsertRows(ctx, tx, d, b.Rows); err != nil {
		return fmt.Errorf("merge usage rows: %w", err)
	}
	if err = pruneSessions(ctx, tx, newestSession(b)); err != nil {
		return fmt.Errorf("prune session keys: %w", err)
	}
	return tx.Commit()
}

// commitRest writes everything of b but its rows (the ledger, coverage,
// unmapped pairs, session keys and uses, path marks, the run) into tx.
func commitRest(ctx context.Context, tx *sql.Tx, d *dict, b Batch) (err error) {
	if err = recordObjects(ctx, tx, nil, b.Objects); err != nil {
		return err
	}
	if b.Run != nil && b.Run.Engine == EngineAthena {
		claims := b.AthenaUnits
		if len(claims) == 0 {
			claims = legacyAthenaUnits(b.Objects)
		}
		if err = recordAthena(ctx, tx, claims, b.AthenaExcluded); err != nil {
			return err
		}
	}
	if len(b.Unmapped) > 0 {
		st, err := tx.PrepareContext(ctx, `INSERT INTO unmapped(event_source,event_name,count,first_seen,last_seen) VALUES(?,?,?,?,?)
			ON CONFLICT(event_source,event_name) DO UPDATE SET count=count+excluded.count,
			first_seen=min(first_seen,excluded.first_seen), last_seen=max(last_seen,excluded.last_seen)`)
		if err != nil {
			return err
		}
		defer st.Close()
		for _, u := range b.Unmapped {
			if _, err := st.ExecContext(ctx, u.EventSource, u.EventName, u.Count, u.FirstSeen.Unix(), u.LastSeen.Unix()); err != nil {
				return fmt.Errorf("unmapped %s %s: %w", u.EventSource, u.EventName, err)
			}
		}
	}
	if err = loadSessionKeys(ctx, tx, d, b.SessionKeys, nil); err != nil {
		return fmt.Errorf("session keys: %w", err)
	}
	if err = upsertSessionUses(ctx, tx, &d.stmts, b.SessionUses); err != nil {
		return fmt.Errorf("session key use: %w", err)
	}
	now := time.Now().Unix()
	if b.Run != nil && !b.Run.FinishedAt.IsZero() {
		now = b.Run.FinishedAt.Unix()
	}
	if len(b.Objects) > 0 {
		if err = markObjects(ctx, tx, nil, b.Objects, now); err != nil {
			return fmt.Errorf("mark scanned objects: %w", err)
		}
	}
	if err = recordFolders(ctx, tx, b.Folders, now); err != nil {
		return fmt.Errorf("record folders listed whole: %w", err)
	}
	if b.Run != nil {
		src, _ := json.Marshal(b.Run.Sources)
		sum := b.Run.Summary
		if len(sum) == 0 {
			sum = json.RawMessage("{}")
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO scan_runs(engine,started_at,finished_at,since,until,sources,summary) VALUES(?,?,?,?,?,?,?)`,
			b.Run.Engine, b.Run.StartedAt.Unix(), b.Run.FinishedAt.Unix(), unixOrZero(b.Run.Since), unixOrZero(b.Run.Until), string(src), string(sum))
		if err != nil {
			return fmt.Errorf("record run: %w", err)
		}
		b.Run.ID, _ = res.LastInsertId()
	}
	return nil
}

// legacyAthenaUnits reads the days an Athena commit of the earlier
// bookkeeping marked (objects keyed YYYY/MM/DD under the source
// "athena:DB.TABLE[ accounts=A,B][ regions=R,S]").
func legacyAthenaUnits(objs []Object) []Unit {
	var out []Unit
	for _, o := range objs {
		accts, regions := []string{"*"}, []string{"*"}
		for _, f := range strings.Fields(o.Source)[1:] {
			if v, ok := strings.CutPrefix(f, "accounts="); ok {
				accts = strings.Split(v, ",")
			}
			if v, ok := strings.CutPrefix(f, "regions="); ok {
				regions = strings.Split(v, ",")
			}
		}
		for _, a := range accts {
			for _, r := range regions {
				out = append(out, Unit{Day: o.Key, Account: a, Region: r})
			}
		}
	}
	return out
}

// Upsert merges rows into the store (sum counts, min first seen, max last
// seen, union samples): the entry point for an engine that has only rows.
func (s *Store) Upsert(ctx context.Context, rows []Row) error {
	return s.Commit(ctx, Batch{Rows: rows})
}

func unixOrZero(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	return t.Unix()
}

func timeOrZero(v int64) time.Time {
	if v == 0 {
		return time.Time{}
	}
	return time.Unix(v, 0).UTC()
}

// rowColsV6 are the columns of a schema 4–6 usage row, as scanRowV6 reads them.
const rowColsV6 = `account,principal,principal_type,access_key_id,action,resource,error_code,first_seen,last_seen,count,authz,ip_classes,source_ips,user_agents,vpc_endpoints,sessions,source_identities,region`

func trim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}

type scanner interface{ Scan(dest ...any) error }

func scanRowV6(sc scanner) (Row, error) {
	var r Row
	var first, last int64
	var sets [6]string
	if err := sc.Scan(&r.Account, &r.Principal, &r.PrincipalType, &r.AccessKeyID, &r.Action, &r.Resource, &r.ErrorCode,
		&first, &last, &r.Count, &r.Authz, &sets[0], &sets[1], &sets[2], &sets[3], &sets[4], &sets[5], &r.Region); err != nil {
		return r, err
	}
	r.FirstSeen, r.LastSeen = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
	dst := [...]*[]string{&r.IPClasses, &r.SourceIPs, &r.UserAgents, &r.VPCEndpoints, &r.Sessions, &r.SourceIdentities}
	for i, s := range sets {
		*dst[i] = splitSet(s)
	}
	return r, nil
}

// Query selects usage rows; zero fields do not filter.
type Query struct {
	Principal   string // exact principal (ARN, or service name for AWS services)
	AccessKeyID string
	Account     string
	Action      string // exact "service:Name", or "service:*"
	// Since/Until keep rows whose [first seen, last seen] overlaps the window.
	Since, Until time.Time
	ErrorsOnly   bool // only rows with an error code
	AuthzOnly    bool // only authorization decisions
	Limit        int
}

// Usage returns the rows matching q, ordered by key.
func (s *Store) Usage(ctx context.Context, q Query) ([]Row, error) {
	var where []string
	var args []any
	add := func(cond string, a ...any) { where = append(where, cond); args = append(args, a...) }
	// Filters on strings become filters on their ids; a string the
	// dictionary does not hold matches no row.
	idOf := func(col, v string) (bool, error) {
		id, ok, err := lookupID(ctx, s.db, v)
		if err != nil || !ok {
			return false, err
		}
		add(col+" = ?", id)
		return true, nil
	}
	for _, f := range []struct{ col, v string }{{"principal", q.Principal}, {"account", q.Account}} {
		if f.v == "" {
			continue
		}
		if ok, err := idOf(f.col, f.v); err != nil || !ok {
			return nil, err
		}
	}
	switch {
	case IsSessionKey(q.AccessKeyID):
		cond, a, err := s.sessionKeyFilter(ctx, q.AccessKeyID)
		if err != nil {
			return nil, err
		}
		if cond == "" {
			return nil, nil
		}
		add(cond, a...)
	case q.AccessKeyID != "":
		if ok, err := idOf("access_key_id", q.AccessKeyID); err != nil || !ok {
			return nil, err
		}
		add("access_key_id <> 0") // lets SQLite use the partial index
	}
	if q.Action != "" {
		if strings.HasSuffix(q.Action, ":*") {
			// The ids of the strings with that prefix (a range of the
			// dictionary's unique index); only actions can be in the
			// action column, so other strings that match do no harm.
			p := strings.TrimSuffix(q.Action, "*")
			add("action IN (SELECT id FROM strs WHERE s >= ? AND s < ?)", p, p+"\U0010FFFF")
		} else if ok, err := idOf("action", q.Action); err != nil || !ok {
			return nil, err
		}
	}
	if !q.Since.IsZero() {
		add("last_seen >= ?", q.Since.Unix())
	}
	if !q.Until.IsZero() {
		add("first_seen < ?", q.Until.Unix())
	}
	if q.ErrorsOnly {
		add("error_code <> 0")
	}
	if q.AuthzOnly {
		add("authz = 1")
	}
	if q.Limit > 0 && q.Account == "" {
		return s.usageByAccount(ctx, where, args, q.Limit)
	}
	return s.queryRows(ctx, where, args, q.Limit)
}

// usageByAccount answers a query with a Limit account by account, in the
// accounts' string order, until Limit rows are found: rows are ordered by
// account first, and their order is by strings, not by the ids the keys
// hold, so without this a Limit would read and sort every row.
func (s *Store) usageByAccount(ctx context.Context, where []string, args []any, limit int) ([]Row, error) {
	n := newNames(s.db)
	var ids []int64
	err := func() error {
		rs, err := s.db.QueryContext(ctx, `SELECT DISTINCT account FROM usage`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var id int64
			if err := rs.Scan(&id); err != nil {
				return err
			}
			n.need(id)
			ids = append(ids, id)
		}
		return rs.Err()
	}()
	if err != nil {
		return nil, err
	}
	if err := n.load(ctx); err != nil {
		return nil, err
	}
	slices.SortFunc(ids, func(a, b int64) int { return strings.Compare(n.m[a], n.m[b]) })
	var out []Row
	for _, id := range ids {
		rows, err := s.queryRows(ctx, append(slices.Clip(where), "account = ?"), append(slices.Clip(args), id), limit-len(out))
		if err != nil {
			return nil, err
		}
		out = append(out, rows...)
		if len(out) >= limit {
			break
		}
	}
	return out, nil
}

// queryRows reads the usage rows matching where, ordered by key, at most
// limit (0: all).
func (s *Store) queryRows(ctx context.Context, where []string, args []any, limit int) ([]Row, error) {
	sqlText := `SELECT ` + keyCols + `,` + valCols + ` FROM usage`
	if len(where) > 0 {
		sqlText += " WHERE " + strings.Join(where, " AND ")
	}
	type stored struct {
		k                         ikey
		first, last, count, authz int64
		samples                   []byte
	}
	var got []stored
	n := newNames(s.db)
	err := func() error {
		rs, err := s.db.QueryContext(ctx, sqlText, args...)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var x stored
			k := &x.k
			if err := rs.Scan(&k[0], &k[1], &k[2], &k[3], &k[4], &k[5], &k[6], &k[7], &x.first, &x.last, &x.count, &x.authz, &x.samples); err != nil {
				return err
			}
			for _, id := range k {
				n.need(id)
			}
			got = append(got, x)
		}
		return rs.Err()
	}()
	if err != nil {
		return nil, err
	}
	if err := n.load(ctx); err != nil {
		return nil, err
	}
	// Rows are sorted by their key strings first; only the rows kept
	// (Limit) have their samples decoded.
	out := make([]Row, len(got))
	idx := make([]int, len(got))
	for i, x := range got {
		if out[i], err = decodeRow(n, x.k, x.first, x.last, x.count, x.authz); err != nil {
			return nil, err
		}
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int { return out[a].Key.Compare(out[b].Key) })
	if limit > 0 && len(idx) > limit {
		idx = idx[:limit]
	}
	sorted := make([]Row, len(idx))
	ids := make([]sampleIDs, len(idx))
	vals := newTableNames(s.db, "sample_strs")
	for i, j := range idx {
		sorted[i] = out[j]
		if ids[i], err = decodeSampleIDs(got[j].samples); err != nil {
			return nil, fmt.Errorf("usage row of %s, %s: %w", sorted[i].Principal, sorted[i].Action, err)
		}
		ids[i].need(vals)
	}
	if err := vals.load(ctx); err != nil {
		return nil, err
	}
	for i := range sorted {
		if err := ids[i].fill(vals, &sorted[i]); err != nil {
			return nil, fmt.Errorf("usage row of %s, %s: %w", sorted[i].Principal, sorted[i].Action, err)
		}
	}
	return sorted, nil
}

// Unmapped lists the unmapped pairs, most frequent first.
func (s *Store) Unmapped(ctx context.Context) ([]UnmappedPair, error) {
	rs, err := s.db.QueryContext(ctx, `SELECT event_source,event_name,count,first_seen,last_seen FROM unmapped ORDER BY count DESC, event_source, event_name`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []UnmappedPair
	for rs.Next() {
		var u UnmappedPair
		var f, l int64
		if err := rs.Scan(&u.EventSource, &u.EventName, &u.Count, &f, &l); err != nil {
			return nil, err
		}
		u.FirstSeen, u.LastSeen = time.Unix(f, 0).UTC(), time.Unix(l, 0).UTC()
		out = append(out, u)
	}
	return out, rs.Err()
}

// ScannedObjects returns the marks of every object already scanned from source.
func (s *Store) ScannedObjects(ctx context.Context, source string) (map[string]ObjectMark, error) {
	return scannedObjects(ctx, s.db, source)
}

// ScannedObjectsIn returns the marks of the objects already scanned from
// source in the folders keep accepts (the folder of a key: the part before
// its last '/'), as the store held them at Begin. A scan inside a window
// reads only the marks of the folders it lists: the marks of the rest of
// the store's history are neither read nor held.
func (w *Writer) ScannedObjectsIn(ctx context.Context, source string, keep func(dir string) bool) (map[string]ObjectMark, error) {
	return scannedObjectsIn(ctx, w.rdb, source, keep)
}

// scannedObjects reads the marks of every folder of source.
func scannedObjects(ctx context.Context, q queryer, source string) (map[string]ObjectMark, error) {
	return scannedObjectsIn(ctx, q, source, nil)
}

// scannedObjectsIn reads the marks of source's folders that keep accepts
// (nil: every folder).
func scannedObjectsIn(ctx context.Context, q queryer, source string, keep func(dir string) bool) (map[string]ObjectMark, error) {
	const cols = `SELECT s.dir, s.entries, o.dir, o.entries FROM scanned_dirs s LEFT JOIN objects o ON o.dir = s.ldir WHERE s.source=?`
	var total int
	var dirs []string // the folders kept, when keep leaves some out
	if keep == nil {
		if err := q.QueryRowContext(ctx, `SELECT coalesce(sum(objects),0) FROM scanned_dirs WHERE source=?`, source).Scan(&total); err != nil {
			return nil, err
		}
	} else {
		all := true
		err := func() error {
			rs, err := q.QueryContext(ctx, `SELECT dir, objects FROM scanned_dirs WHERE source=?`, source)
			if err != nil {
				return err
			}
			defer rs.Close()
			for rs.Next() {
				var dir string
				var n int
				if err := rs.Scan(&dir, &n); err != nil {
					return err
				}
				if !keep(dir) {
					all = false
					continue
				}
				dirs = append(dirs, dir)
				total += n
			}
			return rs.Err()
		}()
		if err != nil {
			return nil, err
		}
		if all {
			dirs = nil // one query for them all
		} else if len(dirs) == 0 {
			return map[string]ObjectMark{}, nil
		}
	}
	out := make(map[string]ObjectMark, total) // sized once: growing a 100k map rehashes it many times
	read := func(rs *sql.Rows) error {
		defer rs.Close()
		for rs.Next() {
			var dir string
			var ldir sql.NullString
			var blob, folded []byte
			if err := rs.Scan(&dir, &blob, &ldir, &folded); err != nil {
				return err
			}
			if ldir.Valid {
				if err := foldedMarks(dir, ldir.String, folded, out); err != nil {
					return fmt.Errorf("object ledger %s: %w", ldir.String, err)
				}
			}
			if err := decodeEntries(dir, false, blob, out); err != nil {
				return fmt.Errorf("scanned objects of %s: %w", dir, err)
			}
		}
		return rs.Err()
	}
	if dirs == nil {
		rs, err := q.QueryContext(ctx, cols, source)
		if err != nil {
			return nil, err
		}
		return out, read(rs)
	}
	// The folders kept, in one statement: a window of a large organization
	// keeps tens of thousands of folders, each a statement to parse when
	// asked for one by one.
	list, err := json.Marshal(dirs)
	if err != nil {
		return nil, err
	}
	rs, err := q.QueryContext(ctx, cols+` AND s.dir IN (SELECT value FROM json_each(?))`, source, string(list))
	if err != nil {
		return nil, err
	}
	return out, read(rs)
}

func splitKey(key string) (dir, name string) {
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[:i], key[i+1:]
	}
	return "", key
}

func joinKey(dir, name string) string {
	if dir == "" {
		return name
	}
	return dir + "/" + name
}

// encodeEntries writes the marks of a scanned folder (schema 8: binary, see
// encodeMarksBin).
func encodeEntries(dir string, m map[string]ObjectMark) []byte { return encodeMarksBin(dir, m) }

// Schema 7 entries were lines "name\tsize\tetag\tmtime\n"; names and etags
// never hold tabs or newlines (S3 keys could: those are escaped by
// strconv.Quote).
func encodeEntriesText(dir string, m map[string]ObjectMark) []byte {
	return encodeLines(dir, m, func(b []byte, e ObjectMark) []byte {
		b = strconv.AppendInt(b, e.Size, 10)
		b = append(b, '\t')
		b = append(b, quoteField(e.ETag)...)
		b = append(b, '\t')
		return strconv.AppendInt(b, e.MTime.Unix(), 10)
	})
}

// encodeLines writes one line per name of m, in name order: the name
// (quoted if needed), a tab, and the fields the entry appends.
func encodeLines[E any](dir string, m map[string]E, fields func(b []byte, e E) []byte) []byte {
	prefix := deliveryPrefix(dir)
	content := strings.HasPrefix(dir, "sha256/")
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	var b []byte
	for _, n := range names {
		if content {
			b = append(b, compactDigest(n)...)
		} else {
			b = append(b, compactName(prefix, n)...)
		}
		b = append(b, '\t')
		b = fields(b, m[n])
		b = append(b, '\n')
	}
	return b
}

func quoteField(s string) string {
	if strings.ContainsAny(s, "\t\n\"") || strings.HasPrefix(s, "~") || strings.HasPrefix(s, "=") {
		return strconv.Quote(s)
	}
	return s
}

// deliveryPrefix is what CloudTrail begins every file name of a delivery
// folder with, "ACCOUNT_CloudTrail_REGION_YYYYMMDD" (CloudTrail User Guide,
// "CloudTrail log file name format"), for a ledger folder
// ACCOUNT/REGION/YYYY/MM/DD or a scanned folder
// …/ACCOUNT/CloudTrail/REGION/YYYY/MM/DD; "" for any other folder. Entries
// store names without it (schema 7): ~32 bytes less per object, twice.
func deliveryPrefix(dir string) string {
	p := strings.Split(dir, "/")
	n := len(p)
	if n < 5 || !digits(p[n-3], 4) || !digits(p[n-2], 2) || !digits(p[n-1], 2) {
		return ""
	}
	acct, region := p[n-5], p[n-4]
	if acct == "CloudTrail" && n >= 6 {
		acct = p[n-6]
	}
	if !digits(acct, 12) || region == "" {
		return ""
	}
	return acct + "_CloudTrail_" + region + "_" + p[n-3] + p[n-2] + p[n-1]
}

// compactName writes a name for an entry: "~" and the rest for a name that
// begins with the folder's delivery prefix, else the name (quoted if it
// holds a tab, newline or quote, or begins with "~").
func compactName(prefix, name string) string {
	if prefix != "" && len(name) > len(prefix) && strings.HasPrefix(name, prefix) && !strings.ContainsAny(name, "\t\n\"") {
		return "~" + name[len(prefix):]
	}
	return quoteField(name)
}

// expandName reads a name written by compactName (or by schema 6, which
// wrote names whole: a name of its that began with "~" outside a delivery
// folder reads as it was; inside one it reads as another name, so the file
// is read again and recognised by its identity or digest, never counted
// twice).
func expandName(prefix, field string) (string, error) {
	if rest, ok := strings.CutPrefix(field, "~"); ok && prefix != "" {
		return prefix + rest, nil
	}
	if strings.HasPrefix(field, "=") {
		return expandDigest(field), nil
	}
	name, err := unquoteField(field)
	if err != nil {
		return "", fmt.Errorf("bad entry %q", trim(field))
	}
	return name, nil
}

// compactDigest writes a 128-bit hex digest (see Digest) as "=" and its 16
// bytes in unpadded base64url: 23 characters instead of 32 (schema 7).
func compactDigest(d string) string {
	if len(d) == 32 {
		if raw, err := hex.DecodeString(d); err == nil && hex.EncodeToString(raw) == d {
			return "=" + base64.RawURLEncoding.EncodeToString(raw)
		}
	}
	return quoteField(d)
}

// expandDigest reads what compactDigest wrote (a field without "=" is
// returned as it is: schema 6 wrote hex).
func expandDigest(f string) string {
	if rest, ok := strings.CutPrefix(f, "="); ok {
		if raw, err := base64.RawURLEncoding.DecodeString(rest); err == nil && len(raw) == 16 {
			return hex.EncodeToString(raw)
		}
	}
	return f
}

func unquoteField(s string) (string, error) {
	if strings.HasPrefix(s, `"`) {
		return strconv.Unquote(s)
	}
	return s, nil
}

// decodeEntries reads the entries of folder dir into into, keyed by their
// path (dir/name) or, with names, by their name.
func decodeEntries(dir string, names bool, blob []byte, into map[string]ObjectMark) error {
	if len(blob) > 0 && blob[0] == binFormat {
		return decodeMarksBin(dir, names, blob, into)
	}
	prefix := deliveryPrefix(dir)
	for len(blob) > 0 {
		i := bytes.IndexByte(blob, '\n')
		if i < 0 {
			return fmt.Errorf("truncated entry %q", trim(string(blob)))
		}
		line := blob[:i]
		blob = blob[i+1:]
		var f [4][]byte
		for j := 0; j < 3; j++ {
			k := bytes.IndexByte(line, '\t')
			if k < 0 {
				return fmt.Errorf("bad entry %q", trim(string(line)))
			}
			f[j], line = line[:k], line[k+1:]
		}
		f[3] = line
		name, err := expandName(prefix, string(f[0]))
		if err != nil {
			return err
		}
		etag, err := unquoteField(string(f[2]))
		if err != nil {
			return fmt.Errorf("bad entry %q", trim(string(f[2])))
		}
		size, ok1 := parseInt(f[1])
		mt, ok2 := parseInt(f[3])
		if !ok1 || !ok2 {
			return fmt.Errorf("bad entry for %q", trim(name))
		}
		if !names {
			name = joinKey(dir, name)
		}
		into[name] = ObjectMark{Size: size, ETag: etag, MTime: time.Unix(mt, 0).UTC()}
	}
	return nil
}

func parseInt(b []byte) (int64, bool) {
	if len(b) == 0 || len(b) > 18 {
		return 0, false
	}
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// markObjects records the marks of objs (files read, whatever was counted
// of them) per source and folder. A file whose object a delivery folder
// row of the ledger holds has its mark folded into that row's entry, if
// the row's marks belong to this source and folder (the first to mark
// any: objects.owner); every other mark is listed in scanned_dirs.
func markObjects(ctx context.Context, tx *sql.Tx, c *stmtCache, objs []Object, now int64) error {
	if c == nil {
		c = &stmtCache{} // this call's
		defer c.close()
	}
	type dirKey struct{ source, dir string }
	groups := map[dirKey][]Object{}
	var keys []dirKey
	for _, o := range objs {
		d, _ := splitKey(o.Key)
		k := dirKey{o.Source, d}
		if groups[k] == nil {
			keys = append(keys, k)
		}
		groups[k] = append(groups[k], o)
	}
	sort.Slice(keys, func(i, j int) bool {
		return keys[i].source < keys[j].source || keys[i].source == keys[j].source && keys[i].dir < keys[j].dir
	})
	get, err := c.prepare(ctx, tx, `SELECT entries, ldir FROM scanned_dirs WHERE source=? AND dir=?`)
	if err != nil {
		return err
	}
	put, err := c.prepare(ctx, tx, `INSERT OR REPLACE INTO scanned_dirs(source,dir,objects,scanned_at,entries,ldir) VALUES(?,?,?,?,?,?)`)
	if err != nil {
		return err
	}
	getL, err := c.prepare(ctx, tx, `SELECT entries, owner FROM objects WHERE dir=?`)
	if err != nil {
		return err
	}
	putL, err := c.prepare(ctx, tx, `UPDATE objects SET entries=?, owner=? WHERE dir=?`)
	if err != nil {
		return err
	}
	for _, k := range keys {
		list := groups[k]
		var blob []byte
		var ldir sql.NullString
		err := get.QueryRowContext(ctx, k.source, k.dir).Scan(&blob, &ldir)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		explicit := map[string]ObjectMark{}
		if err := decodeEntries(k.dir, true, blob, explicit); err != nil {
			return fmt.Errorf("%s: %w", k.dir, err)
		}
		// The ledger folder of this folder's files, if they are of the
		// delivery layout.
		var led string
		for _, o := range list {
			if id := markIdentity(o); id.Dir != "" {
				led = id.Dir
				break
			}
		}
		var folder map[string]folderEntry
		owner := k.source + "\n" + k.dir
		if led != "" {
			var fb []byte
			var own sql.NullString
			err := getL.QueryRowContext(ctx, led).Scan(&fb, &own)
			switch {
			case errors.Is(err, sql.ErrNoRows):
			case err != nil:
				return err
			case !own.Valid || own.String == owner:
				folder = map[string]folderEntry{}
				if err := decodeFolder(led, fb, func(n string, e folderEntry) { folder[n] = e }); err != nil {
					return fmt.Errorf("object ledger %s: %w", led, err)
				}
			}
		}
		folded := false
		for _, o := range list {
			_, name := splitKey(o.Key)
			m := ObjectMark{Size: o.Size, ETag: o.ETag, MTime: o.MTime}
			if folder != nil {
				if id := markIdentity(o); id.Dir == led {
					ext := uint8(0)
					for x := len(exts) - 1; x > 0; x-- {
						if strings.HasSuffix(name, exts[x]) {
							ext = uint8(x)
							break
						}
					}
					if e, ok := folder[id.Name]; ok && id.Name+exts[ext] == name && (!e.Marked || e.Ext == ext) {
						e.Marked, e.Ext, e.Mark = true, ext, m
						folder[id.Name] = e
						delete(explicit, name)
						folded = true
						continue
					}
				}
			}
			explicit[name] = m
		}
		n := len(explicit)
		if folder != nil && (folded || ldir.Valid) {
			if _, err := putL.ExecContext(ctx, encodeFolder(led, folder), owner, led); err != nil {
				return err
			}
			ldir = sql.NullString{String: led, Valid: true}
			for _, e := range folder {
				if e.Marked {
					n++
				}
			}
		}
		if _, err := put.ExecContext(ctx, k.source, k.dir, n, now, encodeEntries(k.dir, explicit), ldir); err != nil {
			return err
		}
	}
	return nil
}

// markIdentity is the delivery identity of a marked file, if it has one.
func markIdentity(o Object) ObjectID {
	if o.ID.Dir != "" {
		if o.ID.Dir == contentDir {
			return ObjectID{}
		}
		return o.ID
	}
	p := o.Key
	if !strings.Contains(p, "AWSLogs/") {
		p = o.Source + "/" + o.Key
	}
	id, _, _ := DeliveryID(filepath.ToSlash(p))
	return id
}

// Runs lists the recorded scans, newest first.
func (s *Store) Runs(ctx context.Context, limit int) ([]Run, error) {
	q := `SELECT id,engine,started_at,finished_at,since,until,sources,summary FROM scan_runs ORDER BY id DESC`
	if limit > 0 {
		q += fmt.Sprintf(" LIMIT %d", limit)
	}
	rs, err := s.db.QueryContext(ctx, q)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []Run
	for rs.Next() {
		var r Run
		var st, fi, si, un int64
		var src, sum string
		if err := rs.Scan(&r.ID, &r.Engine, &st, &fi, &si, &un, &src, &sum); err != nil {
			return nil, err
		}
		r.StartedAt, r.FinishedAt, r.Since, r.Until = timeOrZero(st), timeOrZero(fi), timeOrZero(si), timeOrZero(un)
		_ = json.Unmarshal([]byte(src), &r.Sources)
		r.Summary = json.RawMessage(sum)
		out = append(out, r)
	}
	return out, rs.Err()
}

// Totals summarizes the store's content.
type Totals struct {
	Rows           int64     `json:"rows"`
	Events         int64     `json:"events"`
	ErrorRows      int64     `json:"errorRows"`
	Principals     int64     `json:"principals"`
	AccessKeys     int64     `json:"accessKeys"`
	Accounts       int64     `json:"accounts"`
	Actions        int64     `json:"actions"`
	FirstSeen      time.Time `json:"firstSeen"`
	LastSeen       time.Time `json:"lastSeen"`
	ScannedObjects int64     `json:"scannedObjects"`
	UnmappedPairs  int64     `json:"unmappedPairs"`
	UnmappedEvents int64     `json:"unmappedEvents"`
	Runs           int64     `json:"runs"`
}

// Totals counts what the store holds.
func (s *Store) Totals(ctx context.Context) (Totals, error) {
	var t Totals
	var f, l sql.NullInt64
	// From the summary: the same figures as folding the usage rows, from a
	// table ~40 times smaller (every CLI analysis reads the logs' span).
	err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(nrows),0), coalesce(sum(count),0), coalesce(sum(nrows*(error_code<>0)),0),
		count(DISTINCT principal), count(DISTINCT account), count(DISTINCT action),
		min(first_seen), max(last_seen) FROM usage_by_action`).Scan(&t.Rows, &t.Events, &t.ErrorRows, &t.Principals, &t.Accounts, &t.Actions, &f, &l)
	if err != nil {
		return t, err
	}
	// The partial index on access keys answers this without reading rows.
	if err := s.db.QueryRowContext(ctx, `SELECT count(DISTINCT access_key_id) FROM usage WHERE access_key_id <> 0`).Scan(&t.AccessKeys); err != nil {
		return t, err
	}
	if f.Valid {
		t.FirstSeen, t.LastSeen = time.Unix(f.Int64, 0).UTC(), time.Unix(l.Int64, 0).UTC()
	}
	if err := s.db.QueryRowContext(ctx, `SELECT coalesce(sum(objects),0) FROM scanned_dirs`).Scan(&t.ScannedObjects); err != nil {
		return t, err
	}
	if err := s.db.QueryRowContext(ctx, `SELECT count(*), coalesce(sum(count),0) FROM unmapped`).Scan(&t.UnmappedPairs, &t.UnmappedEvents); err != nil {
		return t, err
	}
	if err := s.db.QueryRowContext(ctx, `SELECT count(*) FROM scan_runs`).Scan(&t.Runs); err != nil {
		return t, err
	}
	return t, nil
}
