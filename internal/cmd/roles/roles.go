package roles

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"sort"
	"strings"
	"time"

	groupscmd "github.com/seiri-dev/seiri/internal/cmd/groups"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/roles"
	"github.com/seiri-dev/seiri/internal/table"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// NewCmd is the `seiri roles` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "roles",
		Short: "Replace static access keys with roles, federation or Identity Center",
	}
	cmd.AddCommand(NewCmdRolesSuggest(f, nil), NewCmdRolesUpdateIPRanges(f, nil))
	return cmd
}

// RolesSuggestOptions are the inputs of `seiri roles suggest`.
type RolesSuggestOptions struct {
	groupscmd.Env
	groupscmd.Input
	User              string
	Repos             []string // user=owner/repo
	MonitoringAccount string
	Long              bool // every user's evidence, trust policy and policy (the default with --user)
}

// NewCmdRolesSuggest parses flags for `seiri roles suggest`.
func NewCmdRolesSuggest(f *cmdutil.Factory, runF func(*RolesSuggestOptions) error) *cobra.Command {
	opts := &RolesSuggestOptions{Env: groupscmd.NewEnv(f)}
	cmd := &cobra.Command{
		Use:   "suggest",
		Short: "For each user with active keys: the evidence, the role to use instead, and its policies",
		Long: `Suggest looks at how each user's active keys are used (source addresses
against AWS's published IP ranges, VPC endpoints, user agents naming an
execution environment, the actions called) and proposes the credential to use
instead:

  - calls from AWS compute → EC2 instance profile, ECS task role, EKS Pod
    Identity (IRSA) or Lambda execution role, with the policy and the service's
    trust policy;
  - monitoring-only calls (cloudwatch:PutMetricData...) → a monitoring role
    (cross-account with an external id for a vendor);
  - CI (GitHub Actions, GitLab) → OIDC federation scoped to the repository;
  - people → IAM Identity Center; other workloads outside AWS → IAM Roles
    Anywhere.

Every policy document is checked with the policy validator.`,
		Example: `  seiri roles suggest
  seiri roles suggest --user ci-deployer --repo ci-deployer=acme/payments-api --output json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Refresh(f)
			if runF != nil {
				return runF(opts)
			}
			return rolesSuggestRun(opts)
		},
	}
	opts.Flags(cmd)
	fl := cmd.Flags()
	fl.StringVar(&opts.User, "user", "", "only this IAM user name")
	fl.StringArrayVar(&opts.Repos, "repo", nil, "USER=OWNER/REPO: the repository a CI user deploys from (repeatable)")
	fl.StringVar(&opts.MonitoringAccount, "monitoring-account", "", "account id the monitoring integration assumes roles from")
	cmdutil.LongFlag(fl, &opts.Long)
	return cmd
}

func rolesSuggestRun(o *RolesSuggestOptions) error {
	repos := map[string]string{}
	for _, r := range o.Repos {
		u, repo, ok := strings.Cut(r, "=")
		if !ok || u == "" || !strings.Contains(repo, "/") {
			return cmdutil.BadInputf("--repo %q: want USER=OWNER/REPO", r)
		}
		repos[u] = repo
	}
	l, err := o.Load(&o.Env)
	if err != nil {
		return err
	}
	ws, err := o.Workspace()
	if err != nil {
		return err
	}
	rg, err := roles.LoadRanges(ws.CacheDir())
	if err != nil {
		fmt.Fprintf(o.IO.ErrOut, "warning: %v; using the embedded subset\n", err)
	}
	if rg.Embedded {
		fmt.Fprintln(o.IO.ErrOut, "note: using the embedded sample of AWS IP ranges; run `seiri roles update-ip-ranges` for the full list")
	}
	fmt.Fprintln(o.IO.ErrOut, l.Note)
	an, err := leastPrivilegeAnalysis(&o.Env, ws, l.Snap.Dir)
	if err != nil {
		return err
	}
	var all []roles.Suggestion
	for _, a := range l.Accounts {
		ss, err := roles.Suggest(roles.Input{Account: a, Usage: l.Rows, Ranges: rg, Analysis: an, Catalog: o.Catalog(), Repos: repos, MonitoringAccount: o.MonitoringAccount})
		if err != nil {
			return fmt.Errorf("account %s: %w", a.AccountID, err)
		}
		for _, s := range ss {
			if o.User == "" || s.User == o.User {
				all = append(all, s)
			}
		}
	}
	// Workloads first (the point of the command), people and unused keys last.
	rank := map[string]int{roles.KindIdentityCenter: 1, roles.KindUnusedKey: 2, roles.KindNoUsageData: 3}
	sort.SliceStable(all, func(i, j int) bool { return rank[all[i].Kind] < rank[all[j].Kind] })
	if o.User != "" && len(all) == 0 {
		return cmdutil.BadInputf("--user %s: no such user with an active access key", o.User)
	}
	switch o.Output {
	case "json":
		if all == nil {
			all = []roles.Suggestion{}
		}
		src := l.Source()
		return cmdutil.WriteJSON(o.IO.Out, map[string]any{"snapshot": src.Snapshot, "usage": src.Usage, "suggestions": all})
	case "table", "":
		printSuggestions(o.IO.Out, all, o.Long || o.User != "")
		return nil
	default:
		return cmdutil.BadInputf("--output %s: roles suggest writes table or json", o.Output)
	}
}

// printSuggestions writes the summary, then one line per user (the short
// form) or each user's evidence and policies (long), then what to run next.
func printSuggestions(w io.Writer, all []roles.Suggestion, long bool) {
	fmt.Fprintln(w, suggestionsSummary(all))
	fmt.Fprintln(w)
	if !long {
		tw := table.NewWriter(w, 0, 0, 2, ' ', 0)
		fmt.Fprintln(tw, "ACCOUNT\tUSER\tKEYS\tCALLS\tSUGGESTION\tROLE")
		for _, s := range all {
			role := s.RoleName
			if role == "" {
				role = "-"
			}
			fmt.Fprintf(tw, "%s\t%s\t%d\t%d\t%s\t%s\n", s.Account, s.User, len(s.Keys), s.Evidence.Calls, s.Kind, role)
		}
		tw.Flush()
		if len(all) > 0 {
			fmt.Fprintf(w, "\nNext: seiri roles suggest --user %s\n", all[0].User)
		}
		return
	}
	for _, s := range all {
		fmt.Fprintf(w, "[%s] %s (%s) → %s\n", s.Account, s.User, strings.Join(s.Keys, ", "), s.Kind)
		fmt.Fprintf(w, "  %s\n", s.Summary)
		ev := s.Evidence
		if len(ev.Actions) > 0 {
			fmt.Fprintf(w, "  evidence: %d calls; actions %s\n", ev.Calls, strings.Join(ev.Actions, ", "))
		}
		if len(ev.AWSAddresses) > 0 {
			fmt.Fprintf(w, "    AWS addresses: %s\n", strings.Join(ev.AWSAddresses, ", "))
		}
		if len(ev.OtherIPs) > 0 {
			fmt.Fprintf(w, "    other addresses: %s\n", strings.Join(ev.OtherIPs, ", "))
		}
		if len(ev.VPCEndpoints) > 0 {
			fmt.Fprintf(w, "    VPC endpoints: %s\n", strings.Join(ev.VPCEndpoints, ", "))
		}
		if len(ev.Environments) > 0 {
			fmt.Fprintf(w, "    execution environments: %s\n", strings.Join(ev.Environments, ", "))
		}
		for _, ua := range ev.UserAgents {
			fmt.Fprintf(w, "    user agent: %s\n", ua)
		}
		if s.RoleName != "" {
			fmt.Fprintf(w, "  role %s\n", s.RoleName)
		}
		if len(s.Trust) > 0 {
			fmt.Fprintf(w, "  trust policy:\n%s\n", rolesIndent(string(s.Trust), "    "))
		}
		if len(s.Policy) > 0 {
			fmt.Fprintf(w, "  policy:\n%s\n", rolesIndent(string(s.Policy), "    "))
		}
		for _, n := range s.Notes {
			fmt.Fprintf(w, "  note: %s\n", n)
		}
		fmt.Fprintln(w)
	}
	fmt.Fprintln(w, "Next: seiri keys plan")
}

// suggestionsSummary is the line that opens the suggestions: how many users
// get which kind of replacement.
func suggestionsSummary(all []roles.Suggestion) string {
	counts := map[string]int{}
	for _, s := range all {
		counts[s.Kind]++
	}
	var parts []string
	for _, k := range []string{roles.KindInstanceProfile, roles.KindECSTaskRole, roles.KindEKSPodIdentity, roles.KindLambdaRole, roles.KindMonitoringRole,
		roles.KindOIDCGitHub, roles.KindOIDCGitLab, roles.KindIdentityCenter, roles.KindRolesAnywhere, roles.KindUnusedKey, roles.KindNoUsageData} {
		if counts[k] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[k], k))
		}
	}
	return fmt.Sprintf("%d users with active keys: %s", len(all), strings.Join(parts, ", "))
}

func rolesIndent(s, pre string) string {
	return pre + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+pre)
}

// RolesUpdateOptions are the inputs of `seiri roles update-ip-ranges`.
type RolesUpdateOptions struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error) // opened for writing (the cache)
	URL       string
	Client    *http.Client
}

// NewCmdRolesUpdateIPRanges parses flags for `seiri roles update-ip-ranges`.
func NewCmdRolesUpdateIPRanges(f *cmdutil.Factory, runF func(*RolesUpdateOptions) error) *cobra.Command {
	opts := &RolesUpdateOptions{IO: f.IO, Workspace: f.Workspace}
	cmd := &cobra.Command{
		Use:     "update-ip-ranges",
		Short:   "Download AWS's published IP ranges into the workspace cache",
		Example: `  seiri roles update-ip-ranges`,
		Long: `Update-ip-ranges downloads ip-ranges.json (the format AWS publishes at
` + roles.DefaultIPRangesURL + `), checks it, and stores it in
<workspace>/cache/` + roles.IPRangesCacheFile + `. roles suggest then uses it
instead of the small embedded sample.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Context = f.Context
			if runF != nil {
				return runF(opts)
			}
			return rolesUpdateRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.URL, "url", roles.DefaultIPRangesURL, "where to download ip-ranges.json from")
	return cmd
}

func rolesUpdateRun(o *RolesUpdateOptions) error {
	ws, err := o.Workspace()
	if err != nil {
		return err
	}
	client := o.Client
	if client == nil {
		client = &http.Client{Timeout: 2 * time.Minute}
	}
	r, path, err := roles.UpdateRanges(o.Context, client, o.URL, ws.CacheDir())
	if err != nil {
		return err
	}
	fmt.Fprintf(o.IO.Out, "AWS IP ranges %s (%s): %d prefixes saved to %s\n", r.SyncToken, r.CreateDate, r.Len(), path)
	return nil
}
