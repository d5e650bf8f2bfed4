package usage

import (
	"context"
	"database/sql"
	"encoding/binary"
	"fmt"
	"math"
	"strings"
)

// Schema 9 keeps a row's sample sets (IP classes, source IPs, user agents,
// VPC endpoints, sessions, source identities, in that order) as ids of
// the sample_strs dictionary: a blob holding, per set, its length and its
// ids as uvarints, in the set's order (by string, as Row.Merge keeps
// them); trailing empty sets are left out, a row without samples is an
// empty blob. The text of schemas 4 to 8 repeated every value in every row:
// on the 300 MB corpus 6.6 MB for 2,173 distinct values, user agents alone
// 4.1 MB for 264 (docs/bench-trail.md, session 9). Values are kept as they
// are: unlike the text, ids need no separator, so a user agent holding
// U+001E or U+001F is no longer rewritten.

// nsets is the number of sample sets of a row.
const nsets = 6

// sampleSets are r's sample sets, in the stored order.
func sampleSets(r *Row) [nsets]*[]string {
	return [nsets]*[]string{&r.IPClasses, &r.SourceIPs, &r.UserAgents, &r.VPCEndpoints, &r.Sessions, &r.SourceIdentities}
}

// setBound is the bound MergeSet keeps set i to (0: none, the IP classes).
func setBound(i int) int {
	if i == 0 {
		return 0
	}
	return MaxSamples
}

// encodeSamples returns r's samples column, giving new values ids in
// d (the sample values' dictionary).
func encodeSamples(ctx context.Context, d *dict, r *Row) ([]byte, error) {
	sets := sampleSets(r)
	n := nsets
	for n > 0 && len(*sets[n-1]) == 0 {
		n--
	}
	size := 0
	for _, set := range sets[:n] {
		size += 1 + 2*len(*set)
	}
	b := make([]byte, 0, size)
	for _, set := range sets[:n] {
		b = binary.AppendUvarint(b, uint64(len(*set)))
		for _, s := range *set {
			id, err := d.id(ctx, s)
			if err != nil {
				return nil, err
			}
			b = binary.AppendUvarint(b, uint64(id))
		}
	}
	return b, nil
}

// sampleIDs are a samples column's sets of ids.
type sampleIDs [nsets][]int64

// encode returns the samples column of ids.
func (ids *sampleIDs) encode() []byte {
	n := nsets
	for n > 0 && len(ids[n-1]) == 0 {
		n--
	}
	b := []byte{}
	for _, set := range ids[:n] {
		b = binary.AppendUvarint(b, uint64(len(set)))
		for _, id := range set {
			b = binary.AppendUvarint(b, uint64(id))
		}
	}
	return b
}

// decodeSampleIDs reads a samples column (see encodeSamples). A damaged
// one is an error saying what is wrong, never a panic.
func decodeSampleIDs(b []byte) (sampleIDs, error) {
	var out sampleIDs
	if len(b) == 0 {
		return out, nil
	}
	// Every id takes a byte at least: len(b) bounds them all.
	all := make([]int64, 0, len(b))
	total := len(b)
	next := func(what string, set int) (uint64, error) {
		v, n := binary.Uvarint(b)
		if n <= 0 {
			return 0, fmt.Errorf("samples column: set %d: bad or truncated %s at byte %d of %d", set+1, what, total-len(b), total)
		}
		b = b[n:]
		return v, nil
	}
	for set := 0; len(b) > 0; set++ {
		if set == nsets {
			return out, fmt.Errorf("samples column: %d bytes after the last of %d sets", len(b), nsets)
		}
		n, err := next("length", set)
		if err != nil {
			return out, err
		}
		if n > uint64(len(b)) {
			return out, fmt.Errorf("samples column: set %d holds %d values in %d bytes", set+1, n, len(b))
		}
		start := len(all)
		for range n {
			id, err := next("id", set)
			if err != nil {
				return out, err
			}
			if id > math.MaxInt64 {
				return out, fmt.Errorf("samples column: set %d: id %d out of range", set+1, id)
			}
			all = append(all, int64(id))
		}
		if n > 0 {
			out[set] = all[start:len(all):len(all)]
		}
	}
	return out, nil
}

// need asks n for the strings of ids.
func (ids *sampleIDs) need(n *names) {
	for _, set := range ids {
		for _, id := range set {
			n.need(id)
		}
	}
}

// fill sets r's sample sets to the strings of ids (n holds them: need,
// then load).
func (ids *sampleIDs) fill(n *names, r *Row) error {
	for i, dst := range sampleSets(r) {
		*dst = nil
		if len(ids[i]) == 0 {
			continue
		}
		v := make([]string, len(ids[i]))
		for j, id := range ids[i] {
			s, err := n.get(id)
			if err != nil {
				return fmt.Errorf("samples column: %w", err)
			}
			v[j] = s
		}
		*dst = v
	}
	return nil
}

// unionSamples computes the samples of the merged rows of temp.incoming
// (mergeLookup set msamples to the stored row's samples): where both the
// stored and the incoming row hold samples, and other ones, msamples takes
// the union Row.Merge makes, the smallest values by string. Ids are
// assigned in the order strings were first met, so the union is made on
// the strings (the dictionary's, read for stored ids this transaction has
// not met) in Go; a function inside SQLite could not read the dictionary
// of the transaction. Only temp.incoming is written: mergeApply copies the
// values over, calling no function (see mergeRows).
func unionSamples(ctx context.Context, tx *sql.Tx, d *dict) error {
	type merged struct {
		rowid    int64
		fresh    bool // the stored row holds no samples
		incoming []byte
		stored   sampleIDs
		in       sampleIDs
	}
	var rows []merged
	vals := d.vals
	var missing []int64
	st, err := d.stmts.prepare(ctx, tx, `SELECT rowid, msamples, samples FROM temp.incoming
		WHERE uauthz IS NOT NULL AND length(samples) > 0 AND msamples <> samples`)
	if err != nil {
		return err
	}
	err = func() error {
		rs, err := st.QueryContext(ctx)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var m merged
			var stored []byte
			if err := rs.Scan(&m.rowid, &stored, &m.incoming); err != nil {
				return err
			}
			if len(stored) == 0 {
				// The union is the incoming samples as they are (as
				// samplesUnion of schema 8 made it).
				m.fresh = true
				rows = append(rows, m)
				continue
			}
			if m.stored, err = decodeSampleIDs(stored); err != nil {
				return fmt.Errorf("stored usage row: %w", err)
			}
			if m.in, err = decodeSampleIDs(m.incoming); err != nil {
				return err
			}
			for _, set := range m.stored {
				for _, id := range set {
					if _, ok := vals.byID[id]; !ok {
						missing = append(missing, id)
					}
				}
			}
			rows = append(rows, m)
		}
		return rs.Err()
	}()
	if err != nil {
		return err
	}
	if len(rows) == 0 {
		return nil
	}
	if err := vals.load(ctx, tx, missing); err != nil {
		return err
	}
	// The stored rows whose samples change, with their merged samples.
	type update struct {
		rowid   int64
		samples []byte
	}
	var updates []update
	var strs [2][]string
	for i := range rows {
		m := &rows[i]
		if m.fresh {
			updates = append(updates, update{m.rowid, m.incoming})
			continue
		}
		var u sampleIDs
		for set := range nsets {
			for side, ids := range [2][]int64{m.stored[set], m.in[set]} {
				strs[side] = strs[side][:0]
				for _, id := range ids {
					s, ok := vals.byID[id]
					if !ok {
						return fmt.Errorf("samples column: string id %d not in the dictionary sample_strs (damaged store?)", id)
					}
					strs[side] = append(strs[side], s)
				}
			}
			for _, s := range MergeSet(strs[0], strs[1], setBound(set)) {
				u[set] = append(u[set], vals.ids[s])
			}
		}
		updates = append(updates, update{m.rowid, u.encode()})
	}
	for _, stmt := range []string{`CREATE TEMP TABLE IF NOT EXISTS munion (id INTEGER PRIMARY KEY, samples BLOB NOT NULL)`, `DELETE FROM temp.munion`} {
		if _, err := d.stmts.exec(ctx, tx, stmt); err != nil {
			return err
		}
	}
	err = bulkInsert(ctx, tx, &d.stmts, `INSERT INTO temp.munion(id,samples)`, "", 2, 200, len(updates), func(args []any, i int) []any {
		return append(args, updates[i].rowid, updates[i].samples)
	})
	if err != nil {
		return err
	}
	for _, stmt := range []string{`UPDATE temp.incoming AS i SET msamples = m.samples FROM temp.munion m WHERE m.id = i.rowid`, `DELETE FROM temp.munion`} {
		if _, err := d.stmts.exec(ctx, tx, stmt); err != nil {
			return err
		}
	}
	return nil
}

// load reads the strings of ids (those of stored rows) into d's maps.
func (d *dict) load(ctx context.Context, tx *sql.Tx, ids []int64) error {
	const per = 500
	for start := 0; start < len(ids); start += per {
		var q strings.Builder
		q.WriteString(`SELECT id, s FROM ` + d.table + ` WHERE id IN (`)
		for i, id := range ids[start:min(start+per, len(ids))] {
			if i > 0 {
				q.WriteByte(',')
			}
			fmt.Fprint(&q, id)
		}
		q.WriteByte(')')
		if err := eachString(ctx, tx, q.String(), func(id int64, s string) { d.remember(s, id) }); err != nil {
			return err
		}
	}
	return nil
}

// The samples column of schemas 7 and 8 (text): the six sets separated
// by U+001E, each joined by setSep; trailing empty sets are left out.
// Read by the upgrade to schema 9 (migrateSamples); the tests that build
// older stores write it (encodeSamplesText).
const samplesSep = "\x1e"

func decodeSamplesText(s string, r *Row) {
	dst := sampleSets(r)
	for i := range dst {
		*dst[i] = nil
	}
	if s == "" {
		return
	}
	for i, part := range strings.SplitN(s, samplesSep, len(dst)) {
		*dst[i] = splitSet(part)
	}
}
