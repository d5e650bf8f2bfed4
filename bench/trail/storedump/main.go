// Command storedump writes what a usage store says in strings, sorted (no
// dictionary ids, no timestamps of the runs): two stores that say the same
// dump the same bytes, whatever ids their writers gave the strings.
//
//	go run ./bench/trail/storedump STORE > dump.txt
package main

import (
	"bufio"
	"context"
	"database/sql"
	"fmt"
	"os"
	"sort"
	"strings"

	"github.com/seiri-dev/seiri/internal/usage"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: storedump STORE")
		os.Exit(2)
	}
	if err := dump(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func dump(path string) error {
	ctx := context.Background()
	st, err := usage.OpenReadOnly(ctx, path)
	if err != nil {
		return err
	}
	defer st.Close()
	out := bufio.NewWriter(os.Stdout)
	defer out.Flush()
	rows, err := st.Usage(ctx, usage.Query{})
	if err != nil {
		return err
	}
	for _, r := range rows {
		fmt.Fprintf(out, "row %+v\n", r)
	}
	tot, err := st.Totals(ctx)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "totals rows %d events %d objects %d\n", tot.Rows, tot.Events, tot.ScannedObjects)
	un, err := st.Unmapped(ctx)
	if err != nil {
		return err
	}
	for _, u := range un {
		fmt.Fprintf(out, "unmapped %+v\n", u)
	}
	keys, err := st.SessionKeys(ctx, "", "")
	if err != nil {
		return err
	}
	for _, k := range keys {
		fmt.Fprintf(out, "session key %+v\n", k)
	}
	// The session uses, straight from their table (its columns are
	// strings; Store.SessionUses reads one key's, too slow for all).
	db, err := sql.Open("sqlite", "file:"+usage.URIPath(path)+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	rs, err := db.QueryContext(ctx, `SELECT account, principal, day, keys FROM session_use ORDER BY account, principal, day`)
	if err != nil {
		return err
	}
	defer rs.Close()
	for rs.Next() {
		var a, p, d, k string
		if err := rs.Scan(&a, &p, &d, &k); err != nil {
			return err
		}
		keys := strings.Split(k, "\x1f")
		sort.Strings(keys)
		fmt.Fprintf(out, "session use %s %s %s %s\n", a, p, d, strings.Join(keys, " "))
	}
	return rs.Err()
}
