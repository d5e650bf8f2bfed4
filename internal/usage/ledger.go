package usage

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/zeebo/xxh3"
)

// ObjectID is what makes a log object unique, whatever path, copy or
// source it is read through:
//
//   - for the delivery layout, the key from AWSLogs/ on without the
//     organization folder: account, region, day and file name (CloudTrail
//     names every file ACCOUNT_CloudTrail_REGION_YYYYMMDDTHHmmZ_UNIQUE.json.gz
//     and never reuses a name; CloudTrail User Guide, "CloudTrail log file
//     name format"). Dir is "ACCOUNT/REGION/YYYY/MM/DD", Name the file name
//     without its compression suffix (a gunzipped copy is the same object);
//   - for any other layout, the digest of the decompressed content: Dir is
//     "sha256/" and the digest's first two hex digits, Name the digest.
type ObjectID struct {
	Dir, Name string
}

func (id ObjectID) String() string { return id.Dir + "/" + id.Name }

// Unit is a delivery unit: the day folder of one account and region, what
// both engines account for (see the coverage table).
type Unit struct {
	Day     string // YYYY/MM/DD
	Account string // or "*": every account (Athena)
	Region  string // or "*": every region (Athena)
}

// DeliveryID reads the identity and the unit of an object of the delivery
// layout AWSLogs/[o-ORGID/]ACCOUNT/CloudTrail/REGION/YYYY/MM/DD/FILE found
// anywhere in key (any bucket prefix or local folder above AWSLogs/).
// CloudTrail User Guide, "Finding your CloudTrail log files".
func DeliveryID(key string) (ObjectID, Unit, bool) {
	i := strings.LastIndex(key, "AWSLogs/")
	if i < 0 {
		return ObjectID{}, Unit{}, false
	}
	parts := strings.Split(key[i+len("AWSLogs/"):], "/")
	if len(parts) > 0 && strings.HasPrefix(parts[0], "o-") {
		parts = parts[1:]
	}
	if len(parts) != 7 || parts[1] != "CloudTrail" {
		return ObjectID{}, Unit{}, false
	}
	acct, region, y, m, d, name := parts[0], parts[2], parts[3], parts[4], parts[5], parts[6]
	if !digits(acct, 12) || region == "" || !digits(y, 4) || !digits(m, 2) || !digits(d, 2) || name == "" {
		return ObjectID{}, Unit{}, false
	}
	if _, err := time.Parse("2006/01/02", y+"/"+m+"/"+d); err != nil {
		return ObjectID{}, Unit{}, false
	}
	for _, ext := range []string{".gz", ".gzip"} {
		name = strings.TrimSuffix(name, ext)
	}
	day := y + "/" + m + "/" + d
	return ObjectID{Dir: acct + "/" + region + "/" + day, Name: name}, Unit{Day: day, Account: acct, Region: region}, true
}

// unitOf is the delivery unit of a delivery-layout identity.
func unitOf(id ObjectID) (Unit, bool) {
	p := strings.Split(id.Dir, "/")
	if len(p) != 5 || !digits(p[0], 12) {
		return Unit{}, false
	}
	return Unit{Day: p[2] + "/" + p[3] + "/" + p[4], Account: p[0], Region: p[1]}, true
}

func digits(s string, n int) bool {
	if len(s) != n {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// Digest is the content digest of a decompressed log object: XXH3-128
// ("xxh3:" and 32 hex digits). It is the identity of an object outside the
// delivery layout and, for one of the delivery layout, tells content that
// changed since it was counted. XXH3 is not cryptographic: chosen for its
// cost (~60 GB/s against SHA-256's ~1.4 GB/s with SHA extensions, 2 s of
// the 3 GB scan's 24 s of CPU; docs/bench-trail.md, "Session 6: ledger"),
// it finds accidental and ordinary changes, not a change crafted to keep
// the digest (CloudTrail's signed digest files are the tamper evidence).
func Digest(content []byte) string {
	b := xxh3.Hash128(content).Bytes()
	return xxh3Prefix + hex.EncodeToString(b[:])
}

const xxh3Prefix = "xxh3:"

// LegacyDigest is the digest of schemas 4 to 7 (SHA-256, first 128 bits in
// hex): Ledger.Seen asks for it only for objects whose entries hold one.
func LegacyDigest(content []byte) string {
	h := sha256.Sum256(content)
	return hex.EncodeToString(h[:16])
}

// contentDir is the Dir of every content identity.
const contentDir = "content"

// ContentID is the identity of an object outside the delivery layout: its
// digest (either algorithm).
func ContentID(digest string) ObjectID {
	return ObjectID{Dir: contentDir, Name: digest}
}

// LedgerEntry is what the ledger remembers of a counted object.
type LedgerEntry struct {
	Size   int64  // decompressed bytes; -1: unknown (schema 3, or a content identity)
	Digest string // "" : unknown (carried over from schema 3)
}

// Ledger answers, while a scan runs, what the store already holds. It is
// taken with the store's write lock held (Store.Ledger), so nothing changes
// underneath until the scan commits.
type Ledger struct {
	q      queryer // the store, or the transaction of a Writer
	mu     sync.Mutex
	dirs   map[string]map[string]LedgerEntry
	athena []Unit
	local  map[Unit]bool
	// contents: the contents table has rows; legacyContents: some of them
	// are SHA-256 digests (objects counted by content before schema 8).
	contents, legacyContents bool
	// indexed: contents holds the digest of every counted object, not only
	// of those outside the delivery layout (see recordObjects); every is
	// those digests, read from the folder rows once if a scan needs them
	// and the store is not indexed. legacy: folder rows may hold SHA-256
	// digests (a store upgraded from schema 7).
	indexed, legacy bool
	every           map[[17]byte]bool
	// objects: the objects table had rows at load. A first scan's ledger
	// has none: its folders are known empty without a query each (a
	// thousand on the 300 MB corpus).
	objects bool
}

// Ledger takes the store's write lock (waiting for another writer, see
// Lock) and returns the ledger of counted objects. The lock is held until
// Commit or Close.
func (s *Store) Ledger(ctx context.Context) (*Ledger, error) {
	if err := s.Lock(ctx); err != nil {
		return nil, err
	}
	return loadLedger(ctx, s.db)
}

// queryer is a *sql.DB or a *sql.Tx.
type queryer interface {
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

func loadLedger(ctx context.Context, q queryer) (*Ledger, error) {
	l := &Ledger{q: q, dirs: map[string]map[string]LedgerEntry{}, local: map[Unit]bool{}}
	for _, x := range []struct {
		q   string
		dst *bool
	}{
		{`SELECT EXISTS(SELECT 1 FROM objects)`, &l.objects},
		{`SELECT EXISTS(SELECT 1 FROM contents)`, &l.contents},
		{`SELECT EXISTS(SELECT 1 FROM contents WHERE d >= x'01' AND d < x'02')`, &l.legacyContents},
		{`SELECT EXISTS(SELECT 1 FROM meta WHERE k='content_index' AND v='1')`, &l.indexed},
		{`SELECT EXISTS(SELECT 1 FROM meta WHERE k='ledger_legacy' AND v='1')`, &l.legacy},
	} {
		if err := q.QueryRowContext(ctx, x.q).Scan(x.dst); err != nil {
			return nil, err
		}
	}
	rs, err := q.QueryContext(ctx, `SELECT day, account, region, engine FROM coverage`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	for rs.Next() {
		var u Unit
		var engine string
		if err := rs.Scan(&u.Day, &u.Account, &u.Region, &engine); err != nil {
			return nil, err
		}
		if engine == EngineAthena {
			l.athena = append(l.athena, u)
		} else {
			l.local[u] = true
		}
	}
	return l, rs.Err()
}

// Engines, as recorded in runs and coverage.
const (
	EngineLocal  = "local"
	EngineAthena = "athena"
)

// Lookup returns the ledger entry of id, if the store counted it (for a
// content identity: whether any counted object has that content).
func (l *Ledger) Lookup(ctx context.Context, id ObjectID) (LedgerEntry, bool, error) {
	if id.Dir == contentDir {
		ok, err := l.hasContent(ctx, id.Name, true)
		return LedgerEntry{Size: -1, Digest: id.Name}, ok, err
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	d, err := l.folder(ctx, id.Dir)
	if err != nil {
		return LedgerEntry{}, false, err
	}
	e, ok := d[id.Name]
	return e, ok, nil
}

// folder returns the entries of a ledger folder (l.mu held).
func (l *Ledger) folder(ctx context.Context, dir string) (map[string]LedgerEntry, error) {
	if d, ok := l.dirs[dir]; ok {
		return d, nil
	}
	d := map[string]LedgerEntry{}
	if !l.objects {
		l.dirs[dir] = d
		return d, nil
	}
	var blob []byte
	err := l.q.QueryRowContext(ctx, `SELECT entries FROM objects WHERE dir=?`, dir).Scan(&blob)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return nil, err
	}
	if err := decodeLedger(dir, blob, d); err != nil {
		return nil, fmt.Errorf("object ledger %s: %w", dir, err)
	}
	l.dirs[dir] = d
	return d, nil
}

// Seen is what the ledger says of an object read by a scan.
type Seen int

const (
	SeenNew     Seen = iota // not counted: count its records
	SeenSame                // counted before (same identity and content, or same content)
	SeenChanged             // its identity was counted with other content
)

// Seen decides whether the object read with identity id and content digest
// (Digest) was counted: by its identity (a delivery-layout object: the
// content counted under it must be the same, else SeenChanged), else by its
// content (a copy of a counted object under another path, name or layout).
// legacy returns the object's LegacyDigest: it is asked for only when an
// entry that could match was written with it (a store upgraded from schema
// 7), so a store written by schema 8 never computes SHA-256.
func (l *Ledger) Seen(ctx context.Context, id ObjectID, digest string, legacy func() string) (Seen, error) {
	all := true // compare with every counted object's content
	if id.Dir != contentDir {
		e, ok, err := l.Lookup(ctx, id)
		if err != nil {
			return 0, err
		}
		if ok {
			got := digest
			switch alg, _, _ := digestBytes(e.Digest); {
			case e.Digest == "":
				return SeenSame, nil // schema 3: unknown, kept as counted
			case alg == algSHA256:
				got = legacy()
			}
			if got == e.Digest {
				return SeenSame, nil
			}
			return SeenChanged, nil
		}
		// A delivery object new by identity is compared with the objects
		// counted by content; with every counted object only if its name
		// is not one of its folder (a copy of another folder's file).
		all = !ownName(id)
	}
	if ok, err := l.hasContent(ctx, digest, all); ok || err != nil {
		return SeenSame, err
	}
	if l.legacyContents || (all && l.legacy) {
		if ok, err := l.hasContent(ctx, legacy(), all); ok || err != nil {
			return SeenSame, err
		}
	}
	return SeenNew, nil
}

// ComparedWithEvery reports whether an object of identity id that is new
// by its identity counts as seen when any counted object has its content
// (Ledger.Seen), or only when an object counted by its content does: a
// delivery file under a name CloudTrail gives its folder is an object of
// its own (CloudTrail never reuses a name), a content identity or a file
// under another folder's name may be a copy of any counted object. A scan
// deciding between the objects it reads itself decides the same way.
func ComparedWithEvery(id ObjectID) bool {
	return id.Dir == contentDir || !ownName(id)
}

// ownName reports whether a delivery identity's name is one CloudTrail
// gives a file of its folder (ACCOUNT_CloudTrail_REGION_YYYYMMDD…).
// The whole name is checked, the time and the 16 letters or digits after
// the prefix too: a copy a person or a tool made beside the file ("… copy",
// "…(1)", a suffix) is not a name CloudTrail gives.
func ownName(id ObjectID) bool {
	var buf [24]byte
	_, ok := packName(buf[:0], deliveryPrefix(id.Dir), id.Name)
	return ok
}

// hasContent reports whether an object with content digest d was counted:
// outside the delivery layout, or (all) any object.
func (l *Ledger) hasContent(ctx context.Context, d string, all bool) (bool, error) {
	alg, raw, ok := digestBytes(d)
	if !ok {
		return false, nil
	}
	var key [17]byte
	key[0] = alg
	copy(key[1:], raw[:])
	l.mu.Lock()
	defer l.mu.Unlock()
	if all && !l.indexed {
		if l.every == nil {
			every, err := everyDigest(ctx, l.q)
			if err != nil {
				return false, err
			}
			l.every = every
		}
		if l.every[key] {
			return true, nil
		}
	}
	if !l.contents {
		return false, nil
	}
	var one int
	err := l.q.QueryRowContext(ctx, `SELECT 1 FROM contents WHERE d=?`, key[:]).Scan(&one)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	return err == nil, err
}

// everyDigest reads the digests of every object of the ledger's folder
// rows.
func everyDigest(ctx context.Context, q queryer) (map[[17]byte]bool, error) {
	out := map[[17]byte]bool{}
	err := eachFolder(ctx, q, func(dir string, m map[string]LedgerEntry) error {
		for _, e := range m {
			if alg, raw, ok := digestBytes(e.Digest); ok {
				var key [17]byte
				key[0] = alg
				copy(key[1:], raw[:])
				out[key] = true
			}
		}
		return nil
	})
	return out, err
}

// eachFolder calls f with the entries of every ledger folder row.
func eachFolder(ctx context.Context, q queryer, f func(dir string, m map[string]LedgerEntry) error) error {
	rs, err := q.QueryContext(ctx, `SELECT dir, entries FROM objects`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var dir string
		var blob []byte
		if err := rs.Scan(&dir, &blob); err != nil {
			return err
		}
		m := map[string]LedgerEntry{}
		if err := decodeLedger(dir, blob, m); err != nil {
			return fmt.Errorf("object ledger %s: %w", dir, err)
		}
		if err := f(dir, m); err != nil {
			return err
		}
	}
	return rs.Err()
}

// HeldByAthena reports whether the Athena engine already accounted for u.
func (l *Ledger) HeldByAthena(u Unit) bool { return heldBy(l.athena, u) }

// AthenaHolds reports whether the Athena engine accounted for any unit (a
// scan then asks HeldByAthena of each object it lists).
func (l *Ledger) AthenaHolds() bool { return len(l.athena) > 0 }

// HeldLocally reports whether the local engine read files of u.
func (l *Ledger) HeldLocally(u Unit) bool { return l.local[u] }

// LocalUnits returns the units of day the local engine holds.
func (l *Ledger) LocalUnits(day string) []Unit {
	var out []Unit
	for u := range l.local {
		if u.Day == day {
			out = append(out, u)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Account+out[i].Region < out[j].Account+out[j].Region })
	return out
}

func heldBy(claims []Unit, u Unit) bool {
	for _, c := range claims {
		if c.Day == u.Day && (c.Account == "*" || c.Account == u.Account) && (c.Region == "*" || c.Region == u.Region) {
			return true
		}
	}
	return false
}

// encodeLedger writes the entries of a ledger folder (schema 8: binary, see
// encodeLedgerBin).
func encodeLedger(dir string, m map[string]LedgerEntry) []byte { return encodeLedgerBin(dir, m) }

// Schema 7 ledger entries were lines "name TAB size TAB digest"; names are
// file names (see compactName). In a content folder (sha256/…) the name is
// the digest: the digest field is left empty.
func encodeLedgerText(dir string, m map[string]LedgerEntry) []byte {
	content := strings.HasPrefix(dir, "sha256/")
	return encodeLines(dir, m, func(b []byte, e LedgerEntry) []byte {
		b = strconv.AppendInt(b, e.Size, 10)
		b = append(b, '\t')
		if content {
			return b
		}
		return append(b, compactDigest(e.Digest)...)
	})
}

func decodeLedger(dir string, blob []byte, into map[string]LedgerEntry) error {
	if len(blob) > 0 && blob[0] == binFormat {
		return decodeLedgerBin(dir, blob, into)
	}
	prefix := deliveryPrefix(dir)
	content := strings.HasPrefix(dir, "sha256/")
	for len(blob) > 0 {
		i := bytes.IndexByte(blob, '\n')
		if i < 0 {
			return fmt.Errorf("truncated entry %q", trim(string(blob)))
		}
		f := strings.Split(string(blob[:i]), "\t")
		blob = blob[i+1:]
		if len(f) != 3 {
			return fmt.Errorf("bad entry %q", trim(strings.Join(f, "\t")))
		}
		name, err := expandName(prefix, f[0])
		if err != nil {
			return err
		}
		size, err := strconv.ParseInt(f[1], 10, 64)
		if err != nil {
			return fmt.Errorf("bad entry size %q for %q", trim(f[1]), trim(name))
		}
		digest := expandDigest(f[2])
		if content && digest == "" {
			digest = name
		}
		into[name] = LedgerEntry{Size: size, Digest: digest}
	}
	return nil
}

// recordObjects adds the counted objects to the ledger and the local
// coverage, refusing any the ledger already holds: their rows would count
// twice (only possible if a writer bypassed the lock). Objects of the
// delivery layout go to their folder rows, objects counted by content to
// the contents table; once the store meets an object compared with every
// counted one (outside the delivery layout, or a copy of another folder's
// file: see Ledger.Seen), contents is made to hold every counted object's
// digest, and keeps doing so.
func recordObjects(ctx context.Context, tx *sql.Tx, c *stmtCache, objs []Object) error {
	if c == nil {
		c = &stmtCache{} // this call's
		defer c.close()
	}
	groups := map[string][]Object{}
	units := map[Unit]bool{}
	var byContent []Object
	needAll := false
	for _, o := range objs {
		if o.ID.Dir == contentDir || (o.ID.Dir != "" && !ownName(o.ID)) {
			needAll = true
		}
		if !o.Counted {
			continue
		}
		if o.ID.Dir == "" || o.ID.Name == "" {
			return fmt.Errorf("object %s: counted without an identity", o.Key)
		}
		if o.ID.Dir == contentDir {
			byContent = append(byContent, o)
			continue
		}
		groups[o.ID.Dir] = append(groups[o.ID.Dir], o)
		if u, ok := unitOf(o.ID); ok {
			units[u] = true
		}
	}
	var indexed bool
	if err := c.queryRow(ctx, tx, `SELECT EXISTS(SELECT 1 FROM meta WHERE k='content_index' AND v='1')`, nil, &indexed); err != nil {
		return err
	}
	if needAll && !indexed {
		every, err := everyDigest(ctx, tx)
		if err != nil {
			return err
		}
		keys := make([][17]byte, 0, len(every))
		for k := range every {
			keys = append(keys, k)
		}
		if err := addContents(ctx, tx, keys, false); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR REPLACE INTO meta(k,v) VALUES('content_index','1')`); err != nil {
			return err
		}
		indexed = true
	}
	dirs := make([]string, 0, len(groups))
	for d := range groups {
		dirs = append(dirs, d)
	}
	sort.Strings(dirs)
	var twins [][17]byte
	for _, dir := range dirs {
		var blob []byte
		err := c.queryRow(ctx, tx, `SELECT entries FROM objects WHERE dir=?`, []any{dir}, &blob)
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return err
		}
		all := map[string]folderEntry{}
		if err := decodeFolder(dir, blob, func(n string, e folderEntry) { all[n] = e }); err != nil {
			return fmt.Errorf("object ledger %s: %w", dir, err)
		}
		for _, o := range groups[dir] {
			if _, dup := all[o.ID.Name]; dup {
				return fmt.Errorf("%w: %s (%s)", ErrAlreadyCounted, o.ID, o.Key)
			}
			all[o.ID.Name] = folderEntry{LedgerEntry: LedgerEntry{Size: o.ContentSize, Digest: o.Digest}}
			if k, ok := contentKey(o.Digest); ok && indexed {
				twins = append(twins, k)
			}
		}
		if _, err := c.exec(ctx, tx, `INSERT INTO objects(dir,n,entries) VALUES(?,?,?) ON CONFLICT(dir) DO UPDATE SET n=excluded.n, entries=excluded.entries`,
			dir, len(all), encodeFolder(dir, all)); err != nil {
			return err
		}
	}
	if err := addContents(ctx, tx, twins, false); err != nil {
		return err
	}
	for _, o := range byContent {
		k, ok := contentKey(o.ID.Name)
		if !ok {
			return fmt.Errorf("object %s: bad content identity %q", o.Key, o.ID.Name)
		}
		if err := addContents(ctx, tx, [][17]byte{k}, true); err != nil {
			if errors.Is(err, ErrAlreadyCounted) {
				return fmt.Errorf("%w: %s (%s)", ErrAlreadyCounted, o.ID, o.Key)
			}
			return err
		}
	}
	if len(units) > 0 {
		athena, err := athenaClaims(ctx, tx)
		if err != nil {
			return err
		}
		for u := range units {
			if heldBy(athena, u) {
				return fmt.Errorf("%w: %s account %s region %s was scanned with Athena", ErrEngineOverlap, u.Day, u.Account, u.Region)
			}
		}
		st, err := c.prepare(ctx, tx, `INSERT OR IGNORE INTO coverage(day,account,region,engine) VALUES(?,?,?,'local')`)
		if err != nil {
			return err
		}
		for u := range units {
			if _, err := st.ExecContext(ctx, u.Day, u.Account, u.Region); err != nil {
				return err
			}
		}
	}
	return nil
}

// contentKey is a digest's key in the contents table: its algorithm and
// its 16 bytes.
func contentKey(d string) (k [17]byte, ok bool) {
	alg, raw, ok := digestBytes(d)
	k[0] = alg
	copy(k[1:], raw[:])
	return k, ok
}

// addContents inserts digests into the contents table; strict: one already
// there is ErrAlreadyCounted.
func addContents(ctx context.Context, tx *sql.Tx, keys [][17]byte, strict bool) error {
	if len(keys) == 0 {
		return nil
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO contents(d) VALUES(?) ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, k := range keys {
		res, err := st.ExecContext(ctx, k[:])
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 && strict {
			return ErrAlreadyCounted
		}
	}
	return nil
}

// ErrAlreadyCounted is a commit refused because an object it counts is
// already in the store: nothing of the batch was saved.
var ErrAlreadyCounted = errors.New("object already counted in the usage store; nothing saved")

// ErrEngineOverlap is an Athena commit refused because a day it covers
// holds records of the local engine (or the reverse): nothing was saved.
var ErrEngineOverlap = errors.New("the other engine already holds these days; nothing saved")

// recordAthena claims the units an Athena scan covered, refusing a unit the
// local engine already holds unless the query excluded it (excluded lists
// those local units, as Athena's planner found them).
func recordAthena(ctx context.Context, tx *sql.Tx, claims []Unit, excluded []Unit) error {
	ex := map[Unit]bool{}
	for _, u := range excluded {
		ex[u] = true
	}
	rs, err := tx.QueryContext(ctx, `SELECT day, account, region, engine FROM coverage`)
	if err != nil {
		return err
	}
	var local, athena []Unit
	for rs.Next() {
		var u Unit
		var e string
		if err := rs.Scan(&u.Day, &u.Account, &u.Region, &e); err != nil {
			rs.Close()
			return err
		}
		if e == EngineAthena {
			athena = append(athena, u)
		} else {
			local = append(local, u)
		}
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	for _, c := range claims {
		for _, l := range local {
			if heldBy([]Unit{c}, l) && !ex[l] {
				return fmt.Errorf("%w: %s account %s region %s was read by the local engine", ErrEngineOverlap, l.Day, l.Account, l.Region)
			}
		}
		for _, a := range athena {
			if a.Day == c.Day && (a.Account == "*" || c.Account == "*" || a.Account == c.Account) && (a.Region == "*" || c.Region == "*" || a.Region == c.Region) {
				return fmt.Errorf("%w: Athena already scanned %s (account %s, region %s)", ErrEngineOverlap, a.Day, a.Account, a.Region)
			}
		}
	}
	st, err := tx.PrepareContext(ctx, `INSERT INTO coverage(day,account,region,engine) VALUES(?,?,?,'athena')`)
	if err != nil {
		return err
	}
	defer st.Close()
	for _, c := range claims {
		if _, err := st.ExecContext(ctx, c.Day, c.Account, c.Region); err != nil {
			return fmt.Errorf("coverage %s %s %s: %w", c.Day, c.Account, c.Region, err)
		}
	}
	return nil
}

func athenaClaims(ctx context.Context, tx *sql.Tx) ([]Unit, error) {
	rs, err := tx.QueryContext(ctx, `SELECT day, account, region FROM coverage WHERE engine='athena'`)
	if err != nil {
		return nil, err
	}
	defer rs.Close()
	var out []Unit
	for rs.Next() {
		var u Unit
		if err := rs.Scan(&u.Day, &u.Account, &u.Region); err != nil {
			return nil, err
		}
		out = append(out, u)
	}
	return out, rs.Err()
}

// seedLedger carries the scanned objects of a schema 3 store into the
// ledger: objects of the delivery layout by identity (digest unknown), and
// the local coverage of their units.
func seedLedger(ctx context.Context, tx *sql.Tx) error {
	rs, err := tx.QueryContext(ctx, `SELECT source, dir, entries FROM scanned_dirs`)
	if err != nil {
		return err
	}
	var objs []Object
	for rs.Next() {
		var src, dir string
		var blob []byte
		if err := rs.Scan(&src, &dir, &blob); err != nil {
			rs.Close()
			return err
		}
		if strings.HasPrefix(src, "athena:") {
			continue
		}
		m := map[string]ObjectMark{}
		if err := decodeEntries(dir, false, blob, m); err != nil {
			rs.Close()
			return err
		}
		for k := range m {
			if id, _, ok := DeliveryID(k); ok {
				objs = append(objs, Object{Key: k, ID: id, ContentSize: -1, Counted: true})
			}
		}
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return err
	}
	// The same object under two sources was counted twice by schema 3:
	// the ledger keeps it once (the rows cannot be told apart any more).
	seen := map[ObjectID]bool{}
	uniq := objs[:0]
	for _, o := range objs {
		if !seen[o.ID] {
			seen[o.ID] = true
			uniq = append(uniq, o)
		}
	}
	return recordObjects(ctx, tx, nil, uniq)
}

// Lock takes the store's write lock (the file <store>.lock), waiting while
// another process holds it: the waiting is said once through s.Waiting (or
// on standard error), naming the holder. Two scans of one workspace thus
// run one after the other, the second seeing what the first added. The
// lock is held until Unlock, Commit or Close; Lock while held is a no-op.
func (s *Store) Lock(ctx context.Context) error {
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	if s.lock != nil {
		return nil
	}
	path := s.path + ".lock"
	f, err := os.OpenFile(path, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return fmt.Errorf("usage store lock %s: %w", path, err)
	}
	told := false
	for {
		busy, err := tryLock(f)
		if err != nil {
			f.Close()
			return fmt.Errorf("usage store lock %s: %w", path, err)
		}
		if !busy {
			break
		}
		if !told {
			told = true
			// The holder writes who it is just after it takes the lock.
			var holder string
			for i := 0; i < 20 && holder == ""; i++ {
				b, _ := os.ReadFile(path)
				if holder = strings.TrimSpace(string(b)); holder == "" {
					time.Sleep(25 * time.Millisecond)
				}
			}
			if holder == "" {
				holder = "holder unknown"
			}
			msg := fmt.Sprintf("usage store %s is being written by another seiri (%s); waiting for it to finish…", s.path, holder)
			if s.Waiting != nil {
				s.Waiting(msg)
			} else {
				fmt.Fprintln(os.Stderr, msg)
			}
		}
		select {
		case <-ctx.Done():
			f.Close()
			return fmt.Errorf("waiting for the usage store's write lock: %w", ctx.Err())
		case <-time.After(100 * time.Millisecond):
		}
	}
	// Who holds it, for the message of the next one to wait.
	if err := f.Truncate(0); err == nil {
		fmt.Fprintf(f, "pid %d, since %s", os.Getpid(), time.Now().UTC().Format(time.RFC3339))
	}
	s.lock = f
	return nil
}

// Unlock releases the write lock (no-op if not held).
func (s *Store) Unlock() {
	s.lockMu.Lock()
	defer s.lockMu.Unlock()
	if s.lock == nil {
		return
	}
	s.lock.Truncate(0)
	unlock(s.lock)
	s.lock.Close()
	s.lock = nil
}

// AthenaOverlaps reports whether an Athena claim shares units with u
// without covering it whole (u itself may hold '*').
func (l *Ledger) AthenaOverlaps(u Unit) bool {
	for _, c := range l.athena {
		if c.Day == u.Day && (c.Account == "*" || u.Account == "*" || c.Account == u.Account) &&
			(c.Region == "*" || u.Region == "*" || c.Region == u.Region) {
			return true
		}
	}
	return false
}

// Sources lists the sources every recorded scan read (sorted, distinct).
func (s *Store) Sources(ctx context.Context) ([]string, error) {
	runs, err := s.Runs(ctx, 0)
	if err != nil {
		return nil, err
	}
	seen := map[string]bool{}
	var out []string
	for _, r := range runs {
		for _, src := range r.Sources {
			if !seen[src] {
				seen[src] = true
				out = append(out, src)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}

// Reset empties the store (usage rows, summaries, session keys, unmapped
// pairs, the ledger, coverage, marks and runs) in one transaction, holding
// the write lock: for a store that holds only generated data (the demo's
// logs, regenerated on every run) and is to be filled again from scratch.
func (s *Store) Reset(ctx context.Context) (err error) {
	if err := s.Lock(ctx); err != nil {
		return err
	}
	defer s.Unlock()
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	for _, t := range []string{"usage", "usage_by_action", "session_keys", "session_use", "session_key_days", "unmapped", "objects", "contents", "coverage", "scanned_dirs", "scan_runs", "strs", "sample_strs"} {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+t); err != nil {
			return fmt.Errorf("reset %s: %w", t, err)
		}
	}
	if _, err := tx.ExecContext(ctx, `DELETE FROM meta WHERE k IN ('content_index','ledger_legacy')`); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, schemaStrs); err != nil {
		return err
	}
	return tx.Commit()
}
