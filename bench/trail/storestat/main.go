// Command storestat prints where a usage store's bytes go (SQLite's dbstat:
// bytes and rows per table and index) and bytes per usage row and event:
//
//	go run ./bench/trail/storestat /tmp/ws/usage.db
//
// The numbers of docs/bench-trail.md's size estimates come from it.
package main

import (
	"database/sql"
	"fmt"
	"os"

	_ "modernc.org/sqlite"

	"github.com/seiri-dev/seiri/internal/usage"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: storestat USAGE.DB")
		os.Exit(2)
	}
	if err := run(os.Args[1]); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}

func run(path string) error {
	db, err := sql.Open("sqlite", "file:"+usage.URIPath(path)+"?mode=ro")
	if err != nil {
		return err
	}
	defer db.Close()
	count := func(q string) (n int64) {
		if err := db.QueryRow(q).Scan(&n); err != nil {
			n = -1
		}
		return n
	}
	rows := count(`SELECT count(*) FROM usage`)
	events := count(`SELECT coalesce(sum(count),0) FROM usage`)
	total := count(`SELECT page_count*page_size FROM pragma_page_count(), pragma_page_size()`)
	fmt.Printf("store %d bytes, %d usage rows (%.0f B/row), %d events (%.1f B/event)\n", total, rows, float64(total)/float64(max(rows, 1)), events, float64(total)/float64(max(events, 1)))
	rs, err := db.Query(`SELECT d.name, coalesce(m.tbl_name, d.name), sum(d.pgsize) FROM dbstat d LEFT JOIN sqlite_master m ON m.name = d.name GROUP BY d.name ORDER BY 3 DESC`)
	if err != nil {
		return err
	}
	defer rs.Close()
	fmt.Printf("%-24s %-18s %12s %10s\n", "table or index", "of table", "bytes", "rows")
	for rs.Next() {
		var name, tbl string
		var size int64
		if err := rs.Scan(&name, &tbl, &size); err != nil {
			return err
		}
		n := count(`SELECT count(*) FROM "` + tbl + `"`)
		fmt.Printf("%-24s %-18s %12d %10d\n", name, tbl, size, n)
	}
	return rs.Err()
}
