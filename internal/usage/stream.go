package usage

import (
	"context"
	"fmt"
	"iter"
	"time"
)

// AuthzQuery selects what StreamAuthz reads.
type AuthzQuery struct {
	Since time.Time
	// PrincipalPrefix keeps principals starting with it (an account's
	// "arn:aws:iam::123456789012:"): the principal ids of that range of the
	// dictionary, each a range of the usage key.
	PrincipalPrefix string
	// ByAction folds rows per (account, principal, action): what the
	// unused analysis needs, without resources. It reads the
	// usage_by_action summary: a summary row (one per region and error
	// code) is kept when its last use is in the window; its first seen and
	// count then cover all its rows, also those last used before the
	// window. The unused analysis reads only the last use, which is the
	// same.
	ByAction bool
	// NoSummary folds the usage rows instead of reading the summary
	// (tests compare the two).
	NoSummary bool
}

// StreamAuthz streams the successful authorization rows of the usage store
// at path whose last use is in the window, reading only the columns the
// analysis needs, unordered, read-only (OpenReadOnly: an older store is
// upgraded when writable, refused otherwise). The same *Row is reused
// between iterations. The returned function reports the first error.
func StreamAuthz(ctx context.Context, path string, q AuthzQuery) (iter.Seq[*Row], func() error) {
	var iterErr error
	seq := func(yield func(*Row) bool) {
		s, err := OpenReadOnly(ctx, path)
		if err != nil {
			iterErr = err
			return
		}
		defer s.Close()
		if err := s.streamAuthz(ctx, q, yield); err != nil {
			iterErr = fmt.Errorf("usage store %q: %w", path, err)
		}
	}
	return seq, func() error { return iterErr }
}

func (s *Store) streamAuthz(ctx context.Context, q AuthzQuery, yield func(*Row) bool) error {
	where := `authz = 1 AND error_code = 0 AND last_seen >= ?`
	args := []any{q.Since.Unix()}
	if q.PrincipalPrefix != "" {
		where += ` AND principal IN (SELECT id FROM strs WHERE s >= ? AND s < ?)`
		args = append(args, q.PrincipalPrefix, q.PrincipalPrefix+"\U0010FFFF")
	}
	text := `SELECT account, principal, principal_type, action, resource, first_seen, last_seen, count FROM usage WHERE ` + where
	if q.ByAction {
		table := "usage_by_action"
		if q.NoSummary {
			table = "usage"
		}
		text = `SELECT account, principal, principal_type, action, 0, min(first_seen), max(last_seen), sum(count) FROM ` + table + ` WHERE ` + where +
			` GROUP BY principal, account, principal_type, action`
	}
	// The strings are read first (the connection is the store's only
	// one): the whole dictionary, one pass, each string once in memory
	// however many rows repeat it.
	n := newNames(s.db)
	n.all = true
	if err := n.read(ctx, `SELECT id, s FROM strs`); err != nil {
		return err
	}
	rs, err := s.db.QueryContext(ctx, text, args...)
	if err != nil {
		return err
	}
	defer rs.Close()
	var r Row
	r.Authz = true
	var k [5]int64
	var first, last int64
	for rs.Next() {
		if err := rs.Scan(&k[0], &k[1], &k[2], &k[3], &k[4], &first, &last, &r.Count); err != nil {
			return err
		}
		for i, dst := range [5]*string{&r.Account, &r.Principal, &r.PrincipalType, &r.Action, &r.Resource} {
			if *dst, err = n.get(k[i]); err != nil {
				return err
			}
		}
		r.FirstSeen, r.LastSeen = time.Unix(first, 0).UTC(), time.Unix(last, 0).UTC()
		if !yield(&r) {
			return nil
		}
	}
	return rs.Err()
}
