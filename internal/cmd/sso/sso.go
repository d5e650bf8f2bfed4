package sso

import (
	"bytes"
	"fmt"
	"io"
	"path/filepath"
	"strings"

	groupscmd "github.com/seiri-dev/seiri/internal/cmd/groups"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/groups"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/sso"
	"github.com/seiri-dev/seiri/internal/table"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// NewCmd is the `seiri sso` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "sso",
		Short: "Plan the move from IAM users and groups to IAM Identity Center",
	}
	cmd.AddCommand(NewCmdSSOPlan(f, nil))
	return cmd
}

// SSOPlanOptions are the inputs of `seiri sso plan`.
type SSOPlanOptions struct {
	groupscmd.Env
	groupscmd.Input
	Format   string // summary | json | terraform
	Out      string
	Proposed bool
	Long     bool // every migration step of every user
}

// NewCmdSSOPlan parses flags for `seiri sso plan`.
func NewCmdSSOPlan(f *cmdutil.Factory, runF func(*SSOPlanOptions) error) *cobra.Command {
	opts := &SSOPlanOptions{Env: groupscmd.NewEnv(f)}
	cmd := &cobra.Command{
		Use:   "plan",
		Short: "Permission sets, assignments and a per-user migration checklist (JSON or Terraform)",
		Long: `Plan turns the group model into IAM Identity Center terms: one permission set
per IAM group in use (its AWS managed policies attached, its customer managed
and inline policies merged into the one inline policy, within the limits: name
≤ 32 characters, inline policy ≤ 32,768 bytes and 10,240 non-whitespace
characters, ≤ 20 managed policies), assignments (group → permission set →
accounts), and for each IAM user the Identity Center user and groups it becomes
and whether it can then be retired (seiri users retire).

--format terraform writes aws_ssoadmin_permission_set,
aws_ssoadmin_managed_policy_attachment, aws_ssoadmin_permission_set_inline_policy
and aws_ssoadmin_account_assignment resources.`,
		Example: `  seiri sso plan
  seiri sso plan --format terraform --out sso.tf
  seiri sso plan --format json --out sso-plan.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Refresh(f)
			if runF != nil {
				return runF(opts)
			}
			return ssoPlanRun(opts)
		},
	}
	opts.Flags(cmd)
	cmdutil.LongFlag(cmd.Flags(), &opts.Long)
	cmd.Flags().StringVar(&opts.Format, "format", "", "file format; one of: summary, json, terraform (default: json with --output json, else summary)")
	cmd.Flags().StringVar(&opts.Out, "out", "", "write to this file (mode 0600) instead of standard output")
	cmd.Flags().BoolVar(&opts.Proposed, "proposed", false, "start from the group model seiri groups plan proposes instead of today's")
	return cmd
}

func ssoPlanRun(o *SSOPlanOptions) error {
	format := o.Format
	switch o.Output {
	case "json":
		if format == "" {
			format = "json"
		}
	case "table", "":
	default:
		return cmdutil.BadInputf("--output %s: sso plan writes table or json (--format terraform for Terraform)", o.Output)
	}
	if format == "" {
		format = "summary"
	}
	if format != "summary" && format != "json" && format != "terraform" {
		return cmdutil.BadInputf("--format %q: want summary, json or terraform", o.Format)
	}
	l, err := o.Load(&o.Env)
	if err != nil {
		return err
	}
	// Every report names its snapshot; the usage only matters to the
	// proposed group model.
	note := cmdutil.SnapshotLine(l.Snap)
	if o.Proposed {
		note = l.Note
	}
	fmt.Fprintln(o.IO.ErrOut, note)
	accounts := l.Accounts
	if o.Proposed {
		if accounts, err = proposedAccounts(l, l.Judge(o.Catalog(), o.Now())); err != nil {
			return err
		}
	}
	p, err := sso.Build(accounts)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	p.SummarizeOUs(l.Snap.Organization)
	p.Snapshot = filepath.Base(l.Snap.Dir)
	// The inline policies are merged from several documents: check them.
	for _, ps := range p.PermissionSets {
		if len(ps.Inline) == 0 {
			continue
		}
		for _, is := range policy.Validate(ps.Inline, policy.TypeIdentity, o.Catalog()) {
			if is.Severity == policy.SevError {
				p.Warnings = append(p.Warnings, fmt.Sprintf("permission set %s: inline policy: %s %s", ps.Name, is.Code, is.Message))
			}
		}
	}
	var buf bytes.Buffer
	switch format {
	case "json":
		err = cmdutil.WriteJSON(&buf, p)
	case "terraform":
		err = p.WriteTerraform(&buf)
	default:
		printSSOPlan(&buf, p, o.Long)
	}
	if err != nil {
		return err
	}
	for _, w := range p.Warnings {
		fmt.Fprintf(o.IO.ErrOut, "warning: %s\n", w)
	}
	if o.Out != "" {
		if err := workspace.WriteFile(o.Out, buf.Bytes()); err != nil {
			return err
		}
		fmt.Fprintf(o.IO.ErrOut, "%d permission sets, %d assignments written to %s\n", len(p.PermissionSets), len(p.Assignments), o.Out)
		return nil
	}
	if format != "summary" {
		cmdutil.FlushOutput(o.IO) // a document: never wrapped to the terminal
	}
	_, err = o.IO.Out.Write(buf.Bytes())
	return err
}

// printSSOPlan writes the summary first, the permission sets, then the
// migration checklist (one line per user; every step with long), then the
// command that writes the plan as Terraform.
func printSSOPlan(w io.Writer, p *sso.Plan, long bool) {
	retire := 0
	for _, u := range p.Users {
		if u.Retire {
			retire++
		}
	}
	fmt.Fprintf(w, "%d permission sets, %d assignments; %d of %d IAM users can be retired after the move\n\n", len(p.PermissionSets), len(p.Assignments), retire, len(p.Users))
	fmt.Fprintln(w, "Permission sets:")
	tw := table.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "  NAME\tFROM GROUP\tMANAGED\tINLINE BYTES\tACCOUNTS")
	accts := map[string][]string{}
	for _, a := range p.Assignments {
		accts[a.PermissionSet] = append(accts[a.PermissionSet], a.Account)
	}
	for _, ps := range p.PermissionSets {
		fmt.Fprintf(tw, "  %s\t%s\t%d\t%d\t%s\n", ps.Name, ps.FromGroup, len(ps.Managed), len(ps.Inline), strings.Join(accts[ps.Name], ","))
	}
	tw.Flush()
	if len(p.OUs) > 0 {
		fmt.Fprintln(w, "\nWhole OUs (every active account directly under the OU is assigned):")
		var order []string
		ous := map[string][]string{}
		for _, o := range p.OUs {
			if ous[o.Group] == nil {
				order = append(order, o.Group)
			}
			ous[o.Group] = append(ous[o.Group], o.OUName)
		}
		for _, g := range order {
			fmt.Fprintf(w, "  %s: %s\n", g, strings.Join(ous[g], ", "))
		}
	}
	fmt.Fprintln(w, "\nMigration checklist:")
	for _, u := range p.Users {
		mark := "keep"
		if u.Retire {
			mark = "retire"
		}
		if long {
			fmt.Fprintf(w, "  [%s] %s → %s:\n", u.Account, u.IAMUser, mark)
			for _, s := range u.Steps {
				fmt.Fprintf(w, "      - %s\n", s)
			}
		} else {
			fmt.Fprintf(w, "  [%s] %s → %s (%d steps)\n", u.Account, u.IAMUser, mark, len(u.Steps))
		}
		for _, b := range u.Blockers {
			fmt.Fprintf(w, "      blocker: %s\n", b)
		}
	}
	if !long {
		fmt.Fprintln(w, "\n--long lists every step of every user.")
	}
	fmt.Fprintln(w, "\nNext: seiri sso plan --format terraform --out identity-center.tf")
}

// proposedAccounts applies each account's groups plan to a copy of it.
func proposedAccounts(l *groupscmd.Loaded, eff groups.Effective) ([]*snapshot.Account, error) {
	opt := groups.Options{Effective: eff}
	var out []*snapshot.Account
	for _, a := range l.Accounts {
		if len(a.Users) == 0 {
			out = append(out, a)
			continue
		}
		opt.Used = l.Used(a.AccountID)
		an, err := groups.Analyze(groups.NewModel(a), opt)
		if err != nil {
			return nil, fmt.Errorf("account %s: %w", a.AccountID, err)
		}
		pr, err := groups.Propose(an, groups.PlanOptions{Options: opt})
		if err != nil {
			return nil, &cmdutil.ExitError{Code: cmdutil.ExitFindings, Err: fmt.Errorf("account %s: %w", a.AccountID, err)}
		}
		out = append(out, pr.After.Snapshot(a))
	}
	return out, nil
}
