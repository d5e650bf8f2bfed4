// Command storedump writes what a usage store says in strings, sorted (no
// dictionary ids, no timestamps of the runs): two stores that say the same
// dump the same bytes, whatever ids their writers gave the strings.
//
//	go run ./bench/trail/storedump STORE > dump.txt
package main

import (
	"bufio"
	"context"
	"fmt"
	"os"

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
		uses, err := st.SessionUses(ctx, k.SessionKey)
		if err != nil {
			return err
		}
		for _, u := range uses {
			fmt.Fprintf(out, "  used %+v\n", u)
		}
	}
	return nil
}
