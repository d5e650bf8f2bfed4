// Package version holds the build's version, set at link time with
// -ldflags "-X github.com/seiri-dev/seiri/internal/version.Version=v1.2.3".
package version

import "runtime/debug"

// Version is the seiri release. "dev" for builds from a work tree.
var Version = "dev"

// String returns the version, with the VCS revision when the binary carries one.
func String() string {
	v := Version
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "vcs.revision" && len(s.Value) >= 12 {
				v += "+" + s.Value[:12]
			}
		}
	}
	return v
}
