// Command seiri keeps the IAM of an AWS Organization lean and safe.
package main

import (
	"os"

	"github.com/seiri-dev/seiri/internal/cli"
)

func main() { os.Exit(cli.Main()) }
