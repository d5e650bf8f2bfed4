package cmdutil

import (
	"fmt"
	"sort"
	"strings"

	"github.com/spf13/cobra"
)

// outputsAnnotation is the cobra annotation holding the --output values a
// command writes (comma-separated).
const outputsAnnotation = "seiri.outputs"

// DeclareOutputs records the --output values cmd writes; the first is the
// one its output is read in when no other applies. `--help` lists them and
// any other value exits 2 naming them.
func DeclareOutputs(cmd *cobra.Command, formats ...string) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[outputsAnnotation] = strings.Join(formats, ",")
	note := "Output formats (--output): " + strings.Join(formats, ", ") + "."
	if cmd.Long == "" {
		cmd.Long = cmd.Short + ".\n\n" + note
	} else if !strings.Contains(cmd.Long, note) {
		cmd.Long = strings.TrimRight(cmd.Long, "\n") + "\n\n" + note
	}
}

// GroupAnnotation marks a command group made runnable by TypeErrors (it
// prints its help or names an unknown subcommand): it writes no report.
const GroupAnnotation = "seiri.group"

// Outputs returns the --output values cmd declared (nil: none declared).
func Outputs(cmd *cobra.Command) []string {
	v, ok := cmd.Annotations[outputsAnnotation]
	if !ok || v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// checkOutput refuses an --output value cmd does not write (exit 2 naming
// the ones it does). A command that declared nothing accepts the global
// list (tests build partial trees).
func checkOutput(cmd *cobra.Command, output string) error {
	formats := Outputs(cmd)
	if formats == nil {
		formats = OutputFormats
	}
	if !Contains(formats, output) {
		return BadInputf("--output %q: %s writes %s", output, cmd.CommandPath(), strings.Join(formats, ", "))
	}
	return nil
}

// TypeErrors walks the command tree and makes cobra's own errors typed bad
// input (exit 2) instead of leaving ExitCode to guess from message text:
// argument-count errors, unknown commands and unknown subcommands of a
// group. Call it once every command is added.
func TypeErrors(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		switch {
		case c.HasSubCommands() && !c.Runnable():
			// A group: a word that is no subcommand is an unknown command
			// (cobra would print the help and exit 0).
			c.Args = cobra.ArbitraryArgs
			if c.Annotations == nil {
				c.Annotations = map[string]string{}
			}
			c.Annotations[GroupAnnotation] = "true"
			c.RunE = func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					return unknownCommand(cmd, args[0])
				}
				return cmd.Help()
			}
		case c.Args != nil:
			inner := c.Args
			c.Args = func(cmd *cobra.Command, args []string) error { return BadInput(inner(cmd, args)) }
		case c.HasSubCommands():
			c.Args = func(cmd *cobra.Command, args []string) error {
				if len(args) > 0 {
					return unknownCommand(cmd, args[0])
				}
				return nil
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
}

func unknownCommand(cmd *cobra.Command, word string) error {
	var names []string
	for _, s := range cmd.Commands() {
		if s.IsAvailableCommand() {
			names = append(names, s.Name())
		}
	}
	sort.Strings(names)
	return &ExitError{Code: ExitUsage, Err: fmt.Errorf("unknown command %q for %q (commands: %s)", word, cmd.CommandPath(), strings.Join(names, ", "))}
}
