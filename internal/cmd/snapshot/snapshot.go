package snapshot

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/version"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// NewCmd is the `seiri snapshot` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "List snapshots, or build one from AWS CLI output files",
	}
	cmd.AddCommand(NewCmdSnapshotImport(f, nil), newSnapshotListCmd(f))
	return cmd
}

// SnapshotImportOptions are the inputs of `seiri snapshot import`.
type SnapshotImportOptions struct {
	IO                   *cmdutil.IOStreams
	Workspace            func() (*workspace.Workspace, error)
	Now                  func() time.Time
	AuthorizationDetails string
	CredentialReport     string
	AccountID            string
	Name                 string
}

// NewCmdSnapshotImport parses flags for `seiri snapshot import`.
func NewCmdSnapshotImport(f *cmdutil.Factory, runF func(*SnapshotImportOptions) error) *cobra.Command {
	opts := &SnapshotImportOptions{IO: f.IO, Workspace: f.Workspace, Now: f.Now}
	cmd := &cobra.Command{
		Use:   "import --authorization-details FILE [--credential-report FILE]",
		Short: "Build a snapshot from `aws iam get-account-authorization-details` output (no API access needed)",
		Long: `Import builds a one-account snapshot from files the AWS CLI produces, for teams
that cannot give seiri API access:

  aws iam get-account-authorization-details > auth.json
  aws iam generate-credential-report
  aws iam get-credential-report --query Content --output text | base64 -d > report.csv

The authorization details file is the same one cloudsplaining and cloudtracker
read. Timestamps may be ISO 8601 or the "2022-08-07 12:55:43+00:00" style.
Access keys are not in these files: key findings come from the credential
report's key slots only.`,
		Example: `  seiri snapshot import --authorization-details auth.json --credential-report report.csv`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if runF != nil {
				return runF(opts)
			}
			return snapshotImportRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.AuthorizationDetails, "authorization-details", "", "output of `aws iam get-account-authorization-details` (JSON)")
	cmd.Flags().StringVar(&opts.CredentialReport, "credential-report", "", "the decoded credential report (CSV)")
	cmd.Flags().StringVar(&opts.AccountID, "account-id", "", "the account id (default: taken from the ARNs in the file)")
	cmd.Flags().StringVar(&opts.Name, "account-name", "", "a name for the account")
	cmd.MarkFlagRequired("authorization-details")
	return cmd
}

func snapshotImportRun(opts *SnapshotImportOptions) error {
	data, err := os.ReadFile(opts.AuthorizationDetails)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	if opts.AccountID != "" && !isAccountID(opts.AccountID) {
		return cmdutil.BadInputf("--account-id %q: want 12 digits", opts.AccountID)
	}
	acct, err := snapshot.ParseAuthorizationDetails(data, opts.AuthorizationDetails, opts.AccountID)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	acct.Name = opts.Name
	acct.KeysUnknown = true
	now := opts.Now()
	acct.CollectedAt = now
	if opts.CredentialReport != "" {
		f, err := os.Open(opts.CredentialReport)
		if err != nil {
			return cmdutil.BadInput(err)
		}
		rep, err := credreport.Parse(f, opts.CredentialReport)
		f.Close()
		if err != nil {
			return cmdutil.BadInput(err)
		}
		if fi, err := os.Stat(opts.CredentialReport); err == nil && rep.GeneratedTime.IsZero() {
			// The CSV has no generation time; the file's is the best we know.
			rep.GeneratedTime = fi.ModTime().UTC()
		}
		for _, row := range rep.Rows {
			if row.IsRoot() || row.ARN == "" {
				continue
			}
			if id := arnAccountID(row.ARN); id != acct.AccountID {
				return cmdutil.BadInputf("%s: line %d: user %s is in account %s, but the authorization details are of %s", opts.CredentialReport, row.Line, row.User, id, acct.AccountID)
			}
		}
		acct.CredentialReport = rep
	}
	ws, err := opts.Workspace()
	if err != nil {
		return err
	}
	w, err := snapshot.Create(ws.SnapshotsDir(), now)
	if err != nil {
		return err
	}
	defer w.Abort()
	rel, err := w.WriteAccount(acct)
	if err != nil {
		return err
	}
	dir, err := w.Commit(&snapshot.Manifest{SeiriVersion: version.String(), Source: "import", StartedAt: now, FinishedAt: now,
		Accounts: []snapshot.AccountStatus{{AccountID: acct.AccountID, Name: acct.Name, File: rel,
			Warnings: []string{"imported from files: no access keys, MFA devices, login profiles or Access Advisor beyond what the credential report says"}}}})
	if err != nil {
		return err
	}
	fmt.Fprintf(opts.IO.Out, "Imported account %s: %d users, %d groups, %d roles, %d managed policies", acct.AccountID, len(acct.Users), len(acct.Groups), len(acct.Roles), len(acct.Policies))
	if acct.CredentialReport != nil {
		fmt.Fprintf(opts.IO.Out, ", credential report with %d rows", len(acct.CredentialReport.Rows))
	}
	fmt.Fprintf(opts.IO.Out, "\nSnapshot: %s\n", dir)
	return nil
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

func arnAccountID(arn string) string {
	n := 0
	start := 0
	for i := 0; i < len(arn); i++ {
		if arn[i] == ':' {
			n++
			if n == 4 {
				start = i + 1
			} else if n == 5 {
				return arn[start:i]
			}
		}
	}
	return ""
}

func newSnapshotListCmd(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the complete snapshots in the workspace, oldest first",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ws, err := f.ReadWorkspace()
			if err != nil {
				return err
			}
			names, damaged, err := snapshot.ListChecked(ws.SnapshotsDir())
			if err != nil {
				return err
			}
			for _, d := range damaged {
				fmt.Fprintf(f.IO.ErrOut, "seiri: warning: snapshot %s is damaged and not listed: %v\n", d.Name, d.Err)
			}
			if f.Globals.Output == "json" {
				type entry struct {
					Name     string             `json:"name"`
					Manifest *snapshot.Manifest `json:"manifest"`
				}
				list := []entry{}
				for _, n := range names {
					m, err := snapshot.ReadManifest(filepath.Join(ws.SnapshotsDir(), n))
					if err != nil {
						return err
					}
					list = append(list, entry{Name: n, Manifest: m})
				}
				return cmdutil.WriteJSON(f.IO.Out, list)
			}
			if len(names) == 0 {
				fmt.Fprintln(f.IO.ErrOut, "No snapshots yet: run `seiri collect`, `seiri snapshot import` or `seiri demo`.")
				return nil
			}
			var buf bytes.Buffer
			tw := tabwriter.NewWriter(&buf, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tSOURCE\tACCOUNTS\tFAILED\tCALLER")
			for _, n := range names {
				m, err := snapshot.ReadManifest(filepath.Join(ws.SnapshotsDir(), n))
				if err != nil {
					return err
				}
				failed := 0
				for _, a := range m.Accounts {
					if a.Failed() {
						failed++
					}
				}
				fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\n", n, m.Source, len(m.Accounts)-failed, failed, m.CallerARN)
			}
			tw.Flush()
			_, err = f.IO.Out.Write(buf.Bytes())
			return err
		},
	}
}
