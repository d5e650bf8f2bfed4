package snapshot

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/credreport"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/table"
	"github.com/seiri-dev/seiri/internal/version"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// NewCmd is the `seiri snapshot` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "snapshot",
		Short: "List snapshots, or build one from AWS CLI output files",
	}
	cmd.AddCommand(NewCmdSnapshotImport(f, nil), NewCmdSnapshotList(f, nil))
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
		Long: `Import builds a snapshot from files the AWS CLI produces, for teams
that cannot give seiri API access:

  aws iam get-account-authorization-details > auth.json
  aws iam generate-credential-report
  aws iam get-credential-report > report.json

A file holding several accounts (files merged by hand) imports as the accounts
its ARNs name, one snapshot entry each; --account-id keeps one and says what it
left out. The credential report may be the decoded CSV, the JSON
get-credential-report prints, or its base64 Content; it is attached to the
account its rows' ARNs name.

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
	cmd.Flags().StringVar(&opts.CredentialReport, "credential-report", "", "the credential report: the decoded CSV, the JSON `aws iam get-credential-report` prints (base64 Content), or the base64 Content alone")
	cmd.Flags().StringVar(&opts.AccountID, "account-id", "", "import only this account (default: every account the file's ARNs name, one snapshot entry each)")
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
	imp, err := snapshot.ParseAuthorizationDetailsAccounts(data, opts.AuthorizationDetails, opts.AccountID)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	if opts.Name != "" && len(imp.Accounts) > 1 {
		return cmdutil.BadInputf("--account-name names one account, but %s holds %d: pick one with --account-id", opts.AuthorizationDetails, len(imp.Accounts))
	}
	now := opts.Now()
	for _, acct := range imp.Accounts {
		acct.Name = opts.Name
		acct.KeysUnknown = true
		acct.CollectedAt = now
	}
	var rep *credreport.Report
	var form credreport.Form
	var repAcct *snapshot.Account
	if opts.CredentialReport != "" {
		data, err := os.ReadFile(opts.CredentialReport)
		if err != nil {
			return cmdutil.BadInput(err)
		}
		rep, form, err = credreport.ParseAny(data, opts.CredentialReport)
		if err != nil {
			return cmdutil.BadInput(err)
		}
		if fi, err := os.Stat(opts.CredentialReport); err == nil && rep.GeneratedTime.IsZero() {
			// The CSV has no generation time; the file's is the best we know.
			rep.GeneratedTime = fi.ModTime().UTC()
		}
		if repAcct, err = reportAccount(rep, opts.CredentialReport, imp.Accounts); err != nil {
			return err
		}
		repAcct.CredentialReport = rep
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
	man := &snapshot.Manifest{SeiriVersion: version.String(), Source: "import", StartedAt: now, FinishedAt: now}
	for _, acct := range imp.Accounts {
		rel, err := w.WriteAccount(acct)
		if err != nil {
			return err
		}
		man.Accounts = append(man.Accounts, snapshot.AccountStatus{AccountID: acct.AccountID, Name: acct.Name, File: rel,
			Warnings: []string{"imported from files: no access keys, MFA devices, login profiles or Access Advisor beyond what the credential report says"}})
	}
	dir, err := w.Commit(man)
	if err != nil {
		return err
	}
	for _, acct := range imp.Accounts {
		fmt.Fprintf(opts.IO.Out, "Imported account %s: %d users, %d groups, %d roles, %d managed policies", acct.AccountID, len(acct.Users), len(acct.Groups), len(acct.Roles), len(acct.Policies))
		if acct.CredentialReport != nil {
			fmt.Fprintf(opts.IO.Out, ", credential report with %d rows", len(acct.CredentialReport.Rows))
		}
		fmt.Fprintln(opts.IO.Out)
	}
	if rep != nil {
		fmt.Fprintf(opts.IO.Out, "Credential report %s: %s; attached to account %s\n", opts.CredentialReport, credreport.Describe(rep, form), repAcct.AccountID)
		for _, row := range snapshot.ReportRowsWithoutUser(repAcct) {
			fmt.Fprintf(opts.IO.Out, "  line %d: user %s (%s) is not in the authorization details: the row is kept but used for no verdict\n", row.Line, row.User, row.ARN)
		}
	}
	for _, n := range imp.Notes() {
		fmt.Fprintf(opts.IO.Out, "Note: %s\n", n)
	}
	fmt.Fprintf(opts.IO.Out, "Snapshot: %s\n", dir)
	return nil
}

// reportAccount is the account of accts a credential report belongs to: the
// one its rows' ARNs name (the root's row included). A report naming several
// accounts, or one not imported, is an error.
func reportAccount(rep *credreport.Report, file string, accts []*snapshot.Account) (*snapshot.Account, error) {
	id, line := "", 0
	for _, row := range rep.Rows {
		if row.ARN == "" {
			continue
		}
		rid := arnAccountID(row.ARN)
		if id == "" {
			id, line = rid, row.Line
		} else if rid != id {
			return nil, cmdutil.BadInputf("%s: line %d: user %s is in account %s, but line %d is of account %s: a credential report is of one account", file, row.Line, row.User, rid, line, id)
		}
	}
	if id == "" {
		if len(accts) == 1 {
			return accts[0], nil
		}
		return nil, cmdutil.BadInputf("%s: no row names an ARN, and the authorization details hold %d accounts: cannot tell which the report is of", file, len(accts))
	}
	held := make([]string, 0, len(accts))
	for _, a := range accts {
		if a.AccountID == id {
			return a, nil
		}
		held = append(held, a.AccountID)
	}
	return nil, cmdutil.BadInputf("%s: line %d: the report is of account %s, but the import holds %s", file, line, id, strings.Join(held, ", "))
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

// SnapshotListOptions are the inputs of `seiri snapshot list`.
type SnapshotListOptions struct {
	IO        *cmdutil.IOStreams
	Workspace func() (*workspace.Workspace, error) // opened read-only: creates nothing
	Output    string                               // --output
}

// NewCmdSnapshotList parses flags for `seiri snapshot list` and calls runF
// (snapshotListRun when nil).
func NewCmdSnapshotList(f *cmdutil.Factory, runF func(*SnapshotListOptions) error) *cobra.Command {
	opts := &SnapshotListOptions{IO: f.IO, Workspace: f.ReadWorkspace}
	return &cobra.Command{
		Use:   "list",
		Short: "List the complete snapshots in the workspace, oldest first",
		Example: `  seiri snapshot list
  seiri snapshot list -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Output = f.Globals.Output
			if runF != nil {
				return runF(opts)
			}
			return snapshotListRun(opts)
		},
	}
}

func snapshotListRun(o *SnapshotListOptions) error {
	ws, err := o.Workspace()
	if err != nil {
		return err
	}
	names, damaged, err := snapshot.ListChecked(ws.SnapshotsDir())
	if err != nil {
		return err
	}
	for _, d := range damaged {
		fmt.Fprintf(o.IO.ErrOut, "seiri: warning: snapshot %s is damaged and not listed: %v\n", d.Name, d.Err)
	}
	if o.Output == "json" {
		type entry struct {
			Name     string             `json:"name"`
			Manifest *snapshot.Manifest `json:"manifest"`
		}
		type damagedEntry struct {
			Name  string `json:"name"`
			Error string `json:"error"`
		}
		doc := struct {
			Folder    string         `json:"folder"`
			Latest    *string        `json:"latest"` // what commands use without --snapshot; null when the newest is damaged or there is none
			Snapshots []entry        `json:"snapshots"`
			Damaged   []damagedEntry `json:"damaged"`
		}{Folder: ws.SnapshotsDir(), Snapshots: []entry{}, Damaged: []damagedEntry{}}
		for _, n := range names {
			m, err := snapshot.ReadManifest(filepath.Join(ws.SnapshotsDir(), n))
			if err != nil {
				return err
			}
			doc.Snapshots = append(doc.Snapshots, entry{Name: n, Manifest: m})
		}
		if len(names) > 0 {
			latest := names[len(names)-1]
			doc.Latest = &latest
		}
		for _, d := range damaged {
			doc.Damaged = append(doc.Damaged, damagedEntry{Name: d.Name, Error: d.Err.Error()})
			if len(names) > 0 && d.Name > names[len(names)-1] {
				doc.Latest = nil // never a silent fall back to an older snapshot
			}
		}
		return cmdutil.WriteJSON(o.IO.Out, doc)
	}
	if len(names) == 0 {
		fmt.Fprintf(o.IO.ErrOut, "No snapshots in %s yet: run `seiri collect`, `seiri snapshot import` or `seiri demo`.\n", ws.SnapshotsDir())
		return nil
	}
	var buf bytes.Buffer
	use := fmt.Sprintf("commands use the latest (%s) unless given --snapshot", names[len(names)-1])
	for _, d := range damaged {
		if d.Name > names[len(names)-1] {
			// Never a silent fall back to an older snapshot (issue 15).
			use = fmt.Sprintf("the newest, %s, is damaged: commands refuse to run until given --snapshot NAME", d.Name)
		}
	}
	fmt.Fprintf(&buf, "%d snapshots in %s, oldest first; %s\n\n", len(names), ws.SnapshotsDir(), use)
	tw := table.NewWriter(&buf, 0, 4, 2, ' ', 0)
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
	_, err = o.IO.Out.Write(buf.Bytes())
	return err
}
