package cmdutil

import (
	"fmt"
	"io"
	"sort"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
)

// The flag conventions every command follows (docs/cli.md; the tests in
// internal/cmd/root enforce them over the whole tree):
//
//	--days N          the usage window: the last N days, ending now
//	--since/--until   absolute bounds, only where records are listed by time (trail)
//	--account ID      the account scope (repeatable or comma-separated where several fit)
//	--output/-o       the report format (global; never a local flag)
//	--format F        the file format of a generated artefact (a policy, a plan)
//	--out FILE        where a generated artefact or report file goes
//	--long            everything, where the terminal default is the short form

// deprecatedAnnotation marks a hidden flag kept for old scripts: its value
// is the flag to use instead.
const deprecatedAnnotation = "seiri.deprecated"

// AliasFlag adds old as a hidden, deprecated alias of the existing flag
// canonical: both set the same value, and using old prints a note on stderr
// naming canonical.
func AliasFlag(fl *pflag.FlagSet, old, canonical string) {
	c := fl.Lookup(canonical)
	if c == nil {
		panic("cmdutil.AliasFlag: no flag --" + canonical)
	}
	fl.AddFlag(&pflag.Flag{
		Name: old, Usage: "deprecated: use --" + canonical, Value: c.Value, DefValue: c.DefValue,
		NoOptDefVal: c.NoOptDefVal, Hidden: true,
		Annotations: map[string][]string{deprecatedAnnotation: {"--" + canonical}},
	})
}

// DeprecateFlag hides the existing flag old and makes its use print a note
// on stderr naming use (the flag, or flags, that replace it). The command
// still honours old.
func DeprecateFlag(fl *pflag.FlagSet, old, use string) {
	f := fl.Lookup(old)
	if f == nil {
		panic("cmdutil.DeprecateFlag: no flag --" + old)
	}
	f.Hidden = true
	f.Usage = "deprecated: use " + use
	if f.Annotations == nil {
		f.Annotations = map[string][]string{}
	}
	f.Annotations[deprecatedAnnotation] = []string{use}
}

// DeprecatedFlag reports whether f is a deprecated alias, and what to use.
func DeprecatedFlag(f *pflag.Flag) (use string, ok bool) {
	v, ok := f.Annotations[deprecatedAnnotation]
	if !ok || len(v) == 0 {
		return "", false
	}
	return v[0], true
}

// warnDeprecated prints one note per deprecated flag the command line set.
func warnDeprecated(cmd *cobra.Command, w io.Writer) {
	var notes []string
	cmd.Flags().Visit(func(f *pflag.Flag) {
		if use, ok := DeprecatedFlag(f); ok {
			notes = append(notes, fmt.Sprintf("seiri: warning: --%s is deprecated and will be removed; use %s", f.Name, use))
		}
	})
	sort.Strings(notes)
	for _, n := range notes {
		fmt.Fprintln(w, n)
	}
}

// DaysFlag adds --days, the usage window every command that reads usage
// takes: the last N days, ending now.
func DaysFlag(fl *pflag.FlagSet, p *int, def int, what string) {
	if what == "" {
		what = "usage window"
	}
	fl.IntVar(p, "days", def, what+": the last N days, ending now")
}

// CheckDays refuses a window shorter than a day (exit 2).
func CheckDays(days int) error {
	if days < 1 {
		return BadInputf("--days %d: must be at least 1", days)
	}
	return nil
}

// LongFlag adds --long: the full output, where a terminal gets the short
// form by default (--output json always holds everything).
func LongFlag(fl *pflag.FlagSet, p *bool) {
	fl.BoolVar(p, "long", false, "show everything (every row and column); the default is the short form; --output json holds everything")
}
