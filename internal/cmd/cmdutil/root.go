package cmdutil

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/table"
	"github.com/seiri-dev/seiri/internal/version"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// OutputFormats are the values of --output.
var OutputFormats = []string{"table", "json", "csv", "sarif", "markdown", "html"}

// NewBareRoot is the root command with the global flags and their checks,
// without subcommands: internal/cmd/root adds every group; tests add the
// groups they exercise.
func NewBareRoot(f *Factory) *cobra.Command {
	g := f.Globals
	root := &cobra.Command{
		Use:   "seiri",
		Short: "Keep the IAM of an AWS Organization lean and safe",
		Long: `seiri inventories every account of an AWS Organization, audits its IAM,
learns from CloudTrail what each principal really uses, and retires what is
unused safely: plans first, journaled, reversible.`,
		SilenceUsage:      true,
		SilenceErrors:     true,
		Version:           version.String(),
		PersistentPostRun: func(cmd *cobra.Command, args []string) { FlushOutput(f.IO) },
		PersistentPreRunE: func(cmd *cobra.Command, args []string) error {
			warnDeprecated(cmd, f.IO.ErrOut)
			if err := checkOutput(cmd, g.Output); err != nil {
				return err
			}
			fitOutput(f, cmd)
			// cobra checks these after this hook, with untyped errors.
			if err := cmd.ValidateRequiredFlags(); err != nil {
				return BadInput(err)
			}
			if err := cmd.ValidateFlagGroups(); err != nil {
				return BadInput(err)
			}
			if g.AWS.MaxAttempts < 1 {
				return BadInputf("--max-attempts %d: must be at least 1", g.AWS.MaxAttempts)
			}
			switch strings.ToLower(g.LogLevel) {
			case "debug", "info", "warn", "warning", "error":
			default:
				return BadInputf("--log-level %q: want debug, info, warn or error", g.LogLevel)
			}
			// AWS calls are logged (at debug) where the command logs: stderr.
			if g.AWS.Logger == nil {
				g.AWS.Logger = f.Logger()
			}
			return nil
		},
	}
	root.SetFlagErrorFunc(func(c *cobra.Command, err error) error { return BadInput(err) })
	pf := root.PersistentFlags()
	pf.StringVar(&g.AWS.Profile, "profile", "", "AWS profile from the shared config files")
	pf.StringVar(&g.AWS.Region, "region", "", "AWS region (default: from the profile or AWS_REGION)")
	pf.StringVar(&g.AWS.EndpointURL, "endpoint-url", "", "override the endpoint of every AWS service (AWS_ENDPOINT_URL_<SERVICE> also works)")
	pf.IntVar(&g.AWS.MaxAttempts, "max-attempts", 10, "attempts per AWS call, with adaptive backoff on throttling")
	pf.StringVar(&g.AWS.RoleName, "role-name", awsclient.DefaultRoleName, "role assumed in member accounts")
	pf.StringVar(&g.AWS.ExternalID, "external-id", "", "external id for assuming --role-name")
	pf.StringVarP(&g.Output, "output", "o", "table", "report format; one of: "+strings.Join(OutputFormats, ", "))
	pf.StringVar(&g.Workspace, "workspace", workspace.Default, "directory holding snapshots, the usage store, journal and backups")
	pf.StringVar(&g.ConfigPath, "config", "", "config file (default: ./seiri.yaml if present)")
	pf.BoolVar(&g.NoProgress, "no-progress", false, "never draw progress bars")
	pf.StringVar(&g.LogLevel, "log-level", "warn", "log level; one of: debug, info, warn, error")

	return root
}

// Contains reports whether list holds s.
func Contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

// ExitCode prints err (if any) and maps it to seiri's exit codes.
func ExitCode(io *IOStreams, err error) int {
	FlushOutput(io)
	if err == nil {
		return ExitOK
	}
	var ds diag.Diagnostics
	if errors.As(err, &ds) {
		diag.Text(io.ErrOut, ds)
		return diag.ExitCode(ds)
	}
	var ee *ExitError
	if errors.As(err, &ee) {
		if ee.Err != nil {
			fmt.Fprintf(io.ErrOut, "seiri: %v\n", ee.Err)
		}
		return ee.Code
	}
	fmt.Fprintf(io.ErrOut, "seiri: %v\n", err)
	// cobra's own errors (arguments, unknown commands, flags) are typed by
	// TypeErrors, the flag error func and the root's pre-run hook.
	var ce *awsclient.CredentialsError
	if errors.As(err, &ce) {
		return ExitUsage
	}
	var we *workspace.Error
	if errors.As(err, &we) {
		return ExitUsage
	}
	if errors.Is(err, context.Canceled) {
		return 130
	}
	return ExitInternal
}

// JSONSchemaVersion is the version of seiri's JSON documents: every
// object WriteJSON writes carries it as "schemaVersion", and
// docs/schemas/<command>.json describes each command's document. It goes
// up when a field is removed, renamed or changes type (adding a field does
// not change it).
const JSONSchemaVersion = 1

// WriteJSON writes v as indented JSON. An object gets "schemaVersion" as
// its first field (unless it has one); an array is written as is.
func WriteJSON(w io.Writer, v any) error { return writeJSON(w, v, true) }

// WriteJSONUnescaped is WriteJSON without HTML escaping of <, > and &.
func WriteJSONUnescaped(w io.Writer, v any) error { return writeJSON(w, v, false) }

func writeJSON(w io.Writer, v any, escapeHTML bool) error {
	var raw bytes.Buffer
	enc := json.NewEncoder(&raw)
	enc.SetEscapeHTML(escapeHTML)
	if err := enc.Encode(v); err != nil {
		return err
	}
	b := WithSchemaVersion(bytes.TrimRight(raw.Bytes(), "\n"))
	var buf bytes.Buffer
	if err := json.Indent(&buf, b, "", "  "); err != nil {
		return err
	}
	buf.WriteByte('\n')
	_, err := w.Write(buf.Bytes())
	return err
}

// WithSchemaVersion puts "schemaVersion" first in a compact JSON object
// that does not have one yet; anything else is returned unchanged.
func WithSchemaVersion(b []byte) []byte {
	if len(b) < 2 || b[0] != '{' {
		return b
	}
	var probe struct {
		V json.RawMessage `json:"schemaVersion"`
	}
	if json.Unmarshal(b, &probe) == nil && probe.V != nil {
		return b
	}
	head := fmt.Sprintf(`{"schemaVersion":%d`, JSONSchemaVersion)
	if string(b) == "{}" {
		return []byte(head + "}")
	}
	return append([]byte(head+","), b[1:]...)
}

// DocumentAnnotation marks a command whose standard output is a document
// (a policy, a schema, a Markdown or Terraform file): it is written as is,
// never wrapped to the terminal's width.
const DocumentAnnotation = "seiri.document"

// MarkDocument marks cmd's output as a document (DocumentAnnotation).
func MarkDocument(cmd *cobra.Command) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[DocumentAnnotation] = "true"
}

// FitAnnotation marks a command whose table output fits table.Width
// columns wherever it goes (a file, a pipe, a CI log), not only on a
// terminal: the keys and users plans, reviewed as files and pasted into
// tickets.
const FitAnnotation = "seiri.fit"

// MarkFit marks cmd's table output as always fitted (FitAnnotation).
func MarkFit(cmd *cobra.Command) {
	if cmd.Annotations == nil {
		cmd.Annotations = map[string]string{}
	}
	cmd.Annotations[FitAnnotation] = "true"
}

// fitOutput makes the terminal output (--output table, standard output a
// terminal, or a command marked FitAnnotation) of cmd fit table.Width
// columns: lines longer than that are wrapped at spaces (tables elide
// their cells themselves, through table.Writer, wherever they go).
// Documents and machine formats pass untouched.
func fitOutput(f *Factory, cmd *cobra.Command) {
	fit := f.IO.FitWidth || cmd.Annotations[FitAnnotation] != ""
	if !fit || f.Globals.Output != "table" || cmd.Annotations[DocumentAnnotation] != "" {
		return
	}
	if _, ok := f.IO.Out.(*table.Wrap); ok {
		return
	}
	f.IO.Out = table.NewWrap(f.IO.Out)
}

// FlushOutput writes what the terminal-width wrapper still holds (a last
// line without a newline) and takes the wrapper off the streams.
func FlushOutput(io *IOStreams) {
	if w, ok := io.Out.(*table.Wrap); ok {
		w.Flush()
		io.Out = w.Unwrap()
	}
}
