// Command seiri keeps the IAM of an AWS Organization lean and safe.
package main

import (
	"os"

	"github.com/seiri-dev/seiri/internal/cmd/root"
)

func main() { os.Exit(root.Main()) }
