// Command scandump writes the whole trail.Scan result of a directory as
// JSON (the duration zeroed), to check that a change to the engine leaves
// every row, sample, session key, object and count as it was:
//
//	go run ./bench/trail/scandump -dir /path/to/ct-300m > after.json
//	cmp before.json after.json
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"

	"github.com/seiri-dev/seiri/internal/trail"
)

func main() {
	dir := flag.String("dir", "", "corpus directory")
	par := flag.Int("parallel", 2, "workers")
	flag.Parse()
	res, err := trail.Scan(context.Background(), &trail.DirSource{Dir: *dir}, trail.Options{Parallel: *par})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	res.Summary.Duration = 0
	enc := json.NewEncoder(os.Stdout)
	if err := enc.Encode(res); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
}
