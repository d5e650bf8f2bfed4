package risk

import (
	"fmt"
	"io"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/audit"
	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/risk"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/table"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// ExternalOptions are the inputs of `seiri risk external`.
type ExternalOptions struct {
	IO        *cmdutil.IOStreams
	Workspace func() (*workspace.Workspace, error)
	Catalog   func() *catalog.Catalog // the IAM catalog in force: which services RCPs govern

	Output   string // --output (global): table|json
	Snapshot string // --snapshot
}

// NewCmdExternal parses flags into ExternalOptions and calls runF
// (externalRun when nil).
func NewCmdExternal(f *cmdutil.Factory, runF func(*ExternalOptions) error) *cobra.Command {
	opts := &ExternalOptions{IO: f.IO, Workspace: f.ReadWorkspace, Catalog: f.Catalog}
	cmd := &cobra.Command{
		Use:   "external",
		Short: "Roles and resources that principals outside the organization (or anyone) can reach",
		Long: `External evaluates every trust policy and collected resource policy (S3, KMS,
SQS, SNS, Lambda, Secrets Manager, ECR) for callers outside the zone of trust
(the organization, else the collected accounts): anonymous callers, any
account, named outside accounts, AWS services acting for anyone, and OIDC
tokens. See docs/external-access.md.

Accounts or services whose resource policies were not collected are listed
as not-collected: external access there is unknown, not absent.

Exit codes: 0 done, 2 bad input (unsupported --output, missing snapshot).`,
		Example: `  seiri risk external
  seiri risk external --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			if runF != nil {
				return runF(opts)
			}
			return externalRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot: a folder, a snapshot name in the workspace, or latest")
	return cmd
}

// externalFinding is the JSON view of a risk.ExternalFinding.
type externalFinding struct {
	Kind         risk.ExternalKind `json:"kind"`
	Account      string            `json:"account"`
	Region       string            `json:"region,omitempty"`
	ResourceType string            `json:"resourceType"`
	Resource     string            `json:"resource"`
	Principal    string            `json:"principal,omitempty"`
	Actions      []string          `json:"actions,omitempty"`
	Statement    string            `json:"statement,omitempty"`
	Detail       string            `json:"detail"`
}

type externalView struct {
	Snapshot     string            `json:"snapshot"`
	Zone         string            `json:"zoneOfTrust"`
	Evaluated    int               `json:"policiesEvaluated"`
	BlockedByBPA int               `json:"blockedByBlockPublicAccess"`
	NotCollected []string          `json:"accountsNotCollected,omitempty"`
	Coverage     string            `json:"coverage,omitempty"`
	Problems     []string          `json:"problems,omitempty"`
	Findings     []externalFinding `json:"findings"`
}

func externalRun(opts *ExternalOptions) error {
	if err := checkOutput("external", opts.Output); err != nil {
		return err
	}
	s, err := loadSnapshot(opts.Workspace, opts.Snapshot)
	if err != nil {
		return err
	}
	rep := risk.External(s, risk.ExternalOptions{RCPServices: cmdutil.RCPServices(opts.Catalog)})
	v := externalView{Snapshot: filepath.Base(s.Dir), Zone: rep.Zone, Evaluated: rep.Evaluated, BlockedByBPA: rep.BlockedByBPA,
		NotCollected: rep.NotCollected, Coverage: audit.ExternalCoverage(s), Problems: rep.Problems, Findings: []externalFinding{}}
	for _, f := range rep.Findings {
		v.Findings = append(v.Findings, externalFinding(f))
	}
	for _, p := range rep.Problems {
		fmt.Fprintf(opts.IO.ErrOut, "warning: %s (access through it is unknown)\n", p)
	}
	if opts.Output == "json" {
		return writeJSON(opts.IO.Out, v)
	}
	return writeExternal(opts.IO.Out, &v)
}

func writeExternal(w io.Writer, v *externalView) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%d external or public access findings (snapshot %s)\n", len(v.Findings), v.Snapshot)
	fmt.Fprintf(&b, "%d policies evaluated, %d findings removed by S3 Block Public Access\n", v.Evaluated, v.BlockedByBPA)
	fmt.Fprintf(&b, "zone of trust: %s\n", v.Zone)
	if v.Coverage != "" {
		fmt.Fprintf(&b, "%s\n", v.Coverage)
	}
	if len(v.Findings) > 0 {
		b.WriteString("\n")
		// The resource and the principal identify a finding: the other
		// columns are cut first.
		tw := table.NewWriter(&b, 0, 0, 2, ' ', 0).Keep(3, 4)
		fmt.Fprintln(tw, "KIND\tACCOUNT\tREGION\tRESOURCE\tPRINCIPAL\tACTIONS\tSTATEMENT")
		for _, f := range v.Findings {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", f.Kind, f.Account, dash(f.Region), f.Resource, dash(f.Principal), dash(strings.Join(f.Actions, ",")), dash(f.Statement))
		}
		tw.Flush()
		b.WriteString("\nNext:\n  seiri audit --rule SEIRI-PUBLIC-RESOURCE --rule SEIRI-PUBLIC-ROLE-TRUST   # the findings with their evidence\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
