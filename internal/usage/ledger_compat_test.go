package usage

import (
	"context"
	"database/sql"
	"fmt"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// v7Object is an object a schema 7 store counted: its ledger identity (a
// delivery one, or none: counted by content) and its content.
type v7Object struct {
	id      ObjectID // Dir "" : counted outside the delivery layout
	content []byte
}

// writeV7Bookkeeping writes the ledger and path marks of objs as schema 7
// wrote them (SHA-256 digests, text entries, a content entry for every
// counted object: recordObjects and markObjects of schema 7, whose
// encoders are kept as encodeLedgerText and encodeEntriesText) into the
// store at path, and makes it a schema 7 store.
func writeV7Bookkeeping(t *testing.T, path string, objs []v7Object, marks map[string]map[string]ObjectMark) {
	t.Helper()
	writeV8Usage(t, path)
	db, err := sql.Open("sqlite", "file:"+URIPath(path))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	folders := map[string]map[string]LedgerEntry{}
	add := func(dir, name string, e LedgerEntry) {
		if folders[dir] == nil {
			folders[dir] = map[string]LedgerEntry{}
		}
		folders[dir][name] = e
	}
	for _, o := range objs {
		d := LegacyDigest(o.content)
		e := LedgerEntry{Size: int64(len(o.content)), Digest: d}
		if o.id.Dir != "" {
			add(o.id.Dir, o.id.Name, e)
		}
		add("sha256/"+d[:2], d, e)
	}
	for _, stmt := range []string{`DROP TABLE contents`, `DELETE FROM meta WHERE k IN ('content_index','ledger_legacy')`, `UPDATE meta SET v='7' WHERE k='schema'`} {
		if _, err := db.Exec(stmt); err != nil {
			t.Fatal(stmt, err)
		}
	}
	for dir, m := range folders {
		if _, err := db.Exec(`INSERT INTO objects(dir,n,entries) VALUES(?,?,?)`, dir, len(m), encodeLedgerText(dir, m)); err != nil {
			t.Fatal(err)
		}
	}
	for dir, m := range marks {
		if _, err := db.Exec(`INSERT INTO scanned_dirs(source,dir,objects,scanned_at,entries) VALUES('/logs',?,?,5,?)`, dir, len(m), encodeEntriesText(dir, m)); err != nil {
			t.Fatal(err)
		}
	}
}

// TestUpgradeFromSchema7Ledger: a store whose ledger holds SHA-256 digests
// (schema 7) opens as schema 9 (through 8) and decides every object as schema 7 did,
// computing SHA-256 only for the objects that need it: a rescan of the
// same content adds nothing and warns nothing, a delivery object with
// other content is a change, an object counted by content before the
// upgrade is recognised under any path or layout, a new object is new. Its
// rows, totals and marks read the same.
func TestUpgradeFromSchema7Ledger(t *testing.T) {
	ctx := context.Background()
	const dir = "111111111111/us-east-1/2026/11/02"
	const markDir = "logs/AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/02"
	name := func(u string) string { return "111111111111_CloudTrail_us-east-1_20261102T0005Z_" + u + ".json" }
	body := func(s string) []byte { return []byte(`{"Records":[{"eventID":"` + s + `"}]}`) }
	a := v7Object{id: ObjectID{Dir: dir, Name: name("AAAAAAAAAAAAAAAA")}, content: body("a")}
	b := v7Object{id: ObjectID{Dir: dir, Name: name("BBBBBBBBBBBBBBBB")}, content: body("b")}
	flat := v7Object{content: body("flat")} // counted from a folder outside the delivery layout
	unknown := v7Object{id: ObjectID{Dir: dir, Name: name("CCCCCCCCCCCCCCCC")}, content: body("c")}

	mem := openTemp(t)
	rng := rand.New(rand.NewPCG(3, 4))
	if err := mem.Commit(ctx, Batch{Rows: randomRows(rng, 200)}); err != nil {
		t.Fatal(err)
	}
	wantRows, err := mem.Usage(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	wantTotals, _ := mem.Totals(ctx)
	path := filepath.Join(t.TempDir(), "usage.db")
	s0, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if err := s0.Commit(ctx, Batch{Rows: wantRows}); err != nil {
		t.Fatal(err)
	}
	s0.Close()
	marks := map[string]map[string]ObjectMark{markDir: {
		a.id.Name + ".gz": {Size: 40, MTime: time.Date(2026, 11, 2, 0, 6, 0, 0, time.UTC)},
		b.id.Name + ".gz": {Size: 41, MTime: time.Date(2026, 11, 2, 0, 7, 0, 0, time.UTC)},
	}}
	writeV7Bookkeeping(t, path, []v7Object{a, b, flat}, marks)
	// Schema 3 carried objects over without a digest.
	execRaw(t, path, fmt.Sprintf(`UPDATE objects SET entries = CAST(entries AS TEXT) || '%s' WHERE dir='%s'`,
		string(encodeLedgerText(dir, map[string]LedgerEntry{unknown.id.Name: {Size: -1}})), dir))

	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var v string
	if err := s.db.QueryRow(`SELECT v FROM meta WHERE k='schema'`).Scan(&v); err != nil || v != fmt.Sprint(SchemaVersion) {
		t.Fatalf("schema %s %v", v, err)
	}
	gotRows, err := s.Usage(ctx, Query{})
	if diff := cmp.Diff(wantRows, gotRows); diff != "" || err != nil {
		t.Errorf("rows (-before +after upgrade): %v\n%s", err, diff)
	}
	wantTotals.ScannedObjects = 2
	if got, err := s.Totals(ctx); err != nil || !cmp.Equal(wantTotals, got) {
		t.Errorf("totals (-before +after):\n%s", cmp.Diff(wantTotals, got))
	}
	gotMarks, err := s.ScannedObjects(ctx, "/logs")
	want := map[string]ObjectMark{}
	for n, m := range marks[markDir] {
		want[markDir+"/"+n] = m
	}
	if diff := cmp.Diff(want, gotMarks); diff != "" || err != nil {
		t.Errorf("marks (-before +after): %v\n%s", err, diff)
	}

	l, err := s.Ledger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Unlock()
	copyOf := func(o v7Object, id ObjectID) v7Object { return v7Object{id: id, content: o.content} }
	other := ObjectID{Dir: "222222222222/eu-west-1/2026/11/03", Name: "copied.json"} // not a name of its folder
	for _, c := range []struct {
		what   string
		o      v7Object
		want   Seen
		legacy bool // SHA-256 asked for
	}{
		{"a again (touched, copied, another source)", a, SeenSame, true},
		{"b with other content", copyOf(v7Object{content: body("tampered")}, b.id), SeenChanged, true},
		{"a schema 3 object read again", unknown, SeenSame, false},
		{"the flat object again, any path", copyOf(flat, ObjectID{}), SeenSame, true},
		{"the flat object, now in the delivery layout", copyOf(flat, ObjectID{Dir: dir, Name: name("FFFFFFFFFFFFFFFF")}), SeenSame, true},
		{"a flat copy of a", copyOf(a, ObjectID{}), SeenSame, true},
		{"a copy of a in another folder", copyOf(a, other), SeenSame, true},
		{"a new delivery object", v7Object{id: ObjectID{Dir: dir, Name: name("NNNNNNNNNNNNNNNN")}, content: body("new")}, SeenNew, true},
		{"a new flat object", v7Object{content: body("new flat")}, SeenNew, true},
	} {
		id := c.o.id
		if id.Dir == "" {
			id = ContentID(Digest(c.o.content))
		}
		asked := false
		got, err := l.Seen(ctx, id, Digest(c.o.content), func() string { asked = true; return LegacyDigest(c.o.content) })
		if err != nil || got != c.want || asked != c.legacy {
			t.Errorf("%s: %v (SHA-256 asked: %v) %v, want %v (%v)", c.what, got, asked, err, c.want, c.legacy)
		}
	}
	// The upgrade kept only the content entries no folder entry repeats.
	var n int
	if err := s.db.QueryRow(`SELECT (SELECT count(*) FROM contents) + (SELECT count(*) FROM objects WHERE dir LIKE 'sha256/%')`).Scan(&n); err != nil || n != 1 {
		t.Errorf("%d content entries after the upgrade, want 1 (the flat object) (%v)", n, err)
	}
	// The marks were folded into the ledger's folder row.
	if err := s.db.QueryRow(`SELECT length(entries) FROM scanned_dirs WHERE ldir=?`, dir).Scan(&n); err != nil || n != 1 {
		t.Errorf("marks row of %s after the upgrade: %d bytes of entries, want 1 (all folded) (%v)", markDir, n, err)
	}
}

// A store written by schema 8 never computes SHA-256, and one upgraded
// from schema 7 without objects counted by content computes it only for
// the objects its entries hold one for.
func TestLegacyDigestOnlyWhenNeeded(t *testing.T) {
	ctx := context.Background()
	const dir = "111111111111/us-east-1/2026/11/02"
	name := func(u string) string { return "111111111111_CloudTrail_us-east-1_20261102T0005Z_" + u + ".json" }
	old := v7Object{id: ObjectID{Dir: dir, Name: name("OOOOOOOOOOOOOOOO")}, content: []byte("old")}
	path := filepath.Join(t.TempDir(), "usage.db")
	s0, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	s0.Close()
	writeV7Bookkeeping(t, path, []v7Object{old}, nil)
	s, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	fresh := openTemp(t)
	newID := ObjectID{Dir: dir, Name: name("NNNNNNNNNNNNNNNN")}
	for _, st := range []*Store{s, fresh} {
		if err := st.Commit(ctx, Batch{Objects: []Object{{Source: "/logs", Key: "k", ID: newID, ContentSize: 3, Digest: Digest([]byte("new")), Counted: true}}}); err != nil {
			t.Fatal(err)
		}
		l, err := st.Ledger(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, c := range []struct {
			id      ObjectID
			content string
			want    Seen
		}{
			{newID, "new", SeenSame},
			{newID, "changed", SeenChanged},
			{ObjectID{Dir: dir, Name: name("ZZZZZZZZZZZZZZZZ")}, "another", SeenNew},
		} {
			got, err := l.Seen(ctx, c.id, Digest([]byte(c.content)), func() string { t.Errorf("SHA-256 asked for %s", c.id); return "" })
			if err != nil || got != c.want {
				t.Errorf("%s %q: %v %v, want %v", c.id, c.content, got, err, c.want)
			}
		}
		st.Unlock()
	}
}

// TestFoldedMarks: the marks of files whose objects the ledger holds are
// folded into the ledger's folder row, for the first source and folder
// that marks them; another source's marks of the same objects, a file the
// ledger does not hold (not counted) and a gunzipped sibling are listed
// apart. Every source reads back exactly its marks, a re-mark replaces
// the folded one, and the totals count every mark once.
func TestFoldedMarks(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	const dir = "111111111111/us-east-1/2026/11/02"
	const path = "AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/02"
	name := func(u string) string { return "111111111111_CloudTrail_us-east-1_20261102T0005Z_" + u + ".json" }
	at := func(m int) time.Time { return time.Date(2026, 11, 2, 0, m, 0, 0, time.UTC) }
	obj := func(src, key string, size int64, mt time.Time, counted bool) Object {
		o := Object{Source: src, Key: key, Size: size, MTime: mt, ETag: "", Counted: counted}
		if counted {
			_, n := splitKey(key)
			o.ID = ObjectID{Dir: dir, Name: strings.TrimSuffix(n, ".gz")}
			o.ContentSize, o.Digest = 100, Digest([]byte(key))
		}
		return o
	}
	first := []Object{
		obj("/a", path+"/"+name("AAAAAAAAAAAAAAAA")+".gz", 10, at(6), true),
		obj("/a", path+"/"+name("BBBBBBBBBBBBBBBB")+".gz", 11, at(7), true),
		obj("/a", path+"/"+name("AAAAAAAAAAAAAAAA"), 12, at(8), false), // gunzipped sibling, recognised
		obj("/a", path+"/"+name("TOOLARGETOOLARGE")+".gz", 13, at(9), false),
	}
	if err := s.Commit(ctx, Batch{Objects: first}); err != nil {
		t.Fatal(err)
	}
	second := []Object{
		obj("s3://b/p", path+"/"+name("AAAAAAAAAAAAAAAA")+".gz", 10, at(30), false), // a copy, other mtime
		obj("/a", path+"/"+name("BBBBBBBBBBBBBBBB")+".gz", 11, at(40), false),       // touched
	}
	if err := s.Commit(ctx, Batch{Objects: second}); err != nil {
		t.Fatal(err)
	}
	want := map[string]map[string]ObjectMark{"/a": {}, "s3://b/p": {}}
	for _, o := range append(first, second...) {
		want[o.Source][o.Key] = ObjectMark{Size: o.Size, MTime: o.MTime}
	}
	total := 0
	for src, w := range want {
		got, err := s.ScannedObjects(ctx, src)
		if diff := cmp.Diff(w, got); diff != "" || err != nil {
			t.Errorf("marks of %s (-want +got): %v\n%s", src, err, diff)
		}
		total += len(w)
	}
	if tot, err := s.Totals(ctx); err != nil || tot.ScannedObjects != int64(total) {
		t.Errorf("totals count %d marks, want %d (%v)", tot.ScannedObjects, total, err)
	}
	// The log coverage reads folded marks as listed ones.
	if cov, skipped, err := s.LogCoverageOf(ctx); err != nil || skipped != 0 || len(cov) != 1 || cov[0].Objects != total ||
		!cov[0].First.Equal(time.Date(2026, 11, 2, 0, 5, 0, 0, time.UTC)) {
		t.Errorf("log coverage %+v, %d skipped, %v; want %d objects from 00:05", cov, skipped, err, total)
	}
	// Folded: /a's marks of A and B live in the ledger row; its listed
	// entries are the sibling and the uncounted file.
	var listed []byte
	var ldir sql.NullString
	if err := s.db.QueryRow(`SELECT entries, ldir FROM scanned_dirs WHERE source='/a'`).Scan(&listed, &ldir); err != nil || ldir.String != dir {
		t.Fatalf("folder row of /a: ldir %v %v", ldir, err)
	}
	m := map[string]ObjectMark{}
	if err := decodeEntries(path, true, listed, m); err != nil || len(m) != 2 {
		t.Errorf("/a lists %d marks apart, want 2 (%v)", len(m), err)
	}
	// The ledger still decides as before.
	l, err := s.Ledger(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Unlock()
	key := path + "/" + name("AAAAAAAAAAAAAAAA") + ".gz"
	if got, err := l.Seen(ctx, ObjectID{Dir: dir, Name: name("AAAAAAAAAAAAAAAA")}, Digest([]byte(key)), nil); err != nil || got != SeenSame {
		t.Errorf("A after folding: %v %v", got, err)
	}
}
