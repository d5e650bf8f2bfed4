package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// ScpSimulateOptions are `seiri scp simulate`'s flags.
type ScpSimulateOptions struct {
	Policy   string
	Target   string
	Type     string
	Snapshot string
	Days     int
}

func newCmdScpSimulate(f *Factory, runF func(*ScpSimulateOptions) error) *cobra.Command {
	opts := &ScpSimulateOptions{}
	cmd := &cobra.Command{
		Use:   "simulate --policy FILE --target OU|ACCOUNT",
		Short: "Replay recorded usage through a draft SCP (or RCP) attached to a target",
		Long: `simulate attaches a draft policy to an OU (by path, e.g. Workloads/Prod), an
account or the root of a snapshot's organization, and replays the recorded usage
(the usage store, last --days days) of every account below it through the old
and the new policy chain with the policy engine. It prints what the draft would
newly deny. Nothing is written to AWS.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if opts.Policy == "" || opts.Target == "" {
				return BadInputf("--policy FILE and --target OU|ACCOUNT|root are required")
			}
			if opts.Days <= 0 {
				return BadInputf("--days must be positive")
			}
			if runF != nil {
				return runF(opts)
			}
			return scpSimulateRun(f, opts)
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&opts.Policy, "policy", "", "the draft policy document (JSON file)")
	fl.StringVar(&opts.Target, "target", "", "where to attach it: OU path or id, account id, or root")
	fl.StringVar(&opts.Type, "type", "scp", "policy type: scp or rcp")
	fl.StringVar(&opts.Snapshot, "snapshot", snapshot.Latest, "snapshot holding the organization")
	fl.IntVar(&opts.Days, "days", 30, "usage window, in days")
	return cmd
}

func scpSimulateRun(f *Factory, opts *ScpSimulateOptions) error {
	var t org.PolicyType
	switch strings.ToLower(opts.Type) {
	case "scp":
		t = org.SCP
	case "rcp":
		t = org.RCP
	default:
		return BadInputf("--type %q: want scp or rcp", trimValue(opts.Type))
	}
	doc, err := os.ReadFile(opts.Policy)
	if err != nil {
		return BadInput(err)
	}
	if OrgPolicyValidator != nil {
		if err := OrgPolicyValidator(doc, string(t)); err != nil {
			return BadInputf("%s: %v", opts.Policy, err)
		}
	}
	o, err := loadOrganization(f, opts.Snapshot)
	if err != nil {
		return err
	}
	before, err := org.FromSnapshot(o)
	if err != nil {
		return BadInput(err)
	}
	key, err := before.TargetKey(opts.Target)
	if err != nil {
		return BadInput(err)
	}
	after, err := before.WithDraft("draft:"+opts.Policy, t, string(doc), key)
	if err != nil {
		return BadInputf("%s: %v", opts.Policy, err)
	}
	im, err := replayStates(f, before, after, o.ID, opts.Days)
	if err != nil {
		return err
	}
	if im == nil {
		return BadInputf("no usage store in the workspace: run seiri trail scan first")
	}
	if f.Globals.Output == "json" {
		enc := json.NewEncoder(f.IO.Out)
		enc.SetIndent("", "  ")
		return enc.Encode(im)
	}
	fmt.Fprintf(f.IO.Out, "draft %s attached to %s (%d account(s) below it), usage of the last %d days:\n", opts.Policy, opts.Target, len(im.AffectedAccounts), opts.Days)
	im.Write(f.IO.Out, "")
	return nil
}
