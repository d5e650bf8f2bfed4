package scp

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	orgcmd "github.com/seiri-dev/seiri/internal/cmd/org"
	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/org/scplib"
	"github.com/seiri-dev/seiri/internal/table"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// NewCmd is the `seiri scp` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scp",
		Short: "seiri's library of vetted, parameterized service control policies",
	}
	cmd.AddCommand(NewCmdScpList(f, nil), NewCmdScpShow(f, nil), NewCmdScpRender(f, nil), NewCmdScpSimulate(f, nil), NewCmdScpSuggest(f, nil))
	return cmd
}

// Deps are what the scp commands need, as fields: the constructors take
// them from the factory (Context and Output once flags are parsed); tests
// set their own.
type Deps struct {
	IO        *cmdutil.IOStreams
	Context   context.Context
	Workspace func() (*workspace.Workspace, error) // opened read-only: creates nothing
	Config    func() (*config.Config, error)       // seiri.yaml (org.limits)
	Now       func() time.Time
	Catalog   func() *catalog.Catalog // the IAM catalog in force: checks drafts
	Output    string                  // --output
}

func newDeps(f *cmdutil.Factory) Deps {
	return Deps{IO: f.IO, Workspace: f.ReadWorkspace, Config: f.Config, Now: f.Now, Catalog: f.Catalog}
}

// bind takes what is known only once the command runs.
func (d *Deps) bind(f *cmdutil.Factory) {
	d.Context, d.Output = f.Context, f.Globals.Output
	if d.Context == nil {
		d.Context = context.Background()
	}
}

// ScpListOptions are `seiri scp list`'s inputs.
type ScpListOptions struct{ Deps }

// NewCmdScpList builds `seiri scp list`.
func NewCmdScpList(f *cmdutil.Factory, runF func(*ScpListOptions) error) *cobra.Command {
	opts := &ScpListOptions{Deps: newDeps(f)}
	return &cobra.Command{
		Use:   "list",
		Short: "List the library's policies",
		Example: `  seiri scp list
  seiri scp list -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.bind(f)
			if runF != nil {
				return runF(opts)
			}
			return scpListRun(opts)
		},
	}
}

func scpListRun(o *ScpListOptions) error {
	if o.Output == "json" {
		return cmdutil.WriteJSON(o.IO.Out, struct {
			Policies any `json:"policies"` // seiri's built-in SCP library
		}{scplib.All()})
	}
	tw := table.NewWriter(o.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tPARAMETERS\tDESCRIPTION")
	for _, p := range scplib.All() {
		var ps []string
		for _, q := range p.Params {
			n := q.Name
			if q.Required {
				n += "*"
			}
			ps = append(ps, n)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\n", p.Name, strings.Join(ps, ","), p.Description)
	}
	return tw.Flush()
}

func libraryPolicy(name string) (*scplib.Policy, error) {
	p, ok := scplib.Get(name)
	if !ok {
		return nil, cmdutil.BadInputf("no library policy %q (known: %s)", name, strings.Join(scplib.Names(), ", "))
	}
	return p, nil
}

// ScpShowOptions are `seiri scp show`'s inputs.
type ScpShowOptions struct {
	Deps
	Name string
}

// NewCmdScpShow builds `seiri scp show NAME`.
func NewCmdScpShow(f *cmdutil.Factory, runF func(*ScpShowOptions) error) *cobra.Command {
	opts := &ScpShowOptions{Deps: newDeps(f)}
	return &cobra.Command{
		Use:     "show NAME",
		Short:   "Show a library policy: description, parameters and an example rendering",
		Example: `  seiri scp show allowed-regions`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.bind(f)
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return scpShowRun(opts)
		},
	}
}

func scpShowRun(o *ScpShowOptions) error {
	p, err := libraryPolicy(o.Name)
	if err != nil {
		return err
	}
	if o.Output == "json" {
		return cmdutil.WriteJSON(o.IO.Out, p)
	}
	w := o.IO.Out
	fmt.Fprintf(w, "%s (%s)\n\n%s\n\nSource: %s\n", p.Name, org.ShortType(org.PolicyType(p.Type)), p.Description, p.Doc)
	if len(p.Params) > 0 {
		fmt.Fprintln(w, "\nParameters:")
		for _, q := range p.Params {
			req := "optional"
			if q.Required {
				req = "required"
			}
			if len(q.Default) > 0 {
				req += ", default " + strings.Join(q.Default, ",")
			}
			fmt.Fprintf(w, "  %-18s %s (%s, %s)\n", q.Name, q.Description, q.Kind, req)
		}
	}
	return nil
}

// ScpRenderOptions are `seiri scp render`'s inputs.
type ScpRenderOptions struct {
	Deps
	Name   string
	Params []string
	Pretty bool
}

// NewCmdScpRender builds `seiri scp render NAME`.
func NewCmdScpRender(f *cmdutil.Factory, runF func(*ScpRenderOptions) error) *cobra.Command {
	opts := &ScpRenderOptions{Deps: newDeps(f)}
	cmd := &cobra.Command{
		Use:   "render NAME [--param k=v[,v...]]...",
		Short: "Render a library policy with parameters (minified, ready to upload)",
		Example: `  seiri scp render deny-root-user
  seiri scp render allowed-regions --param regions=eu-west-1,eu-central-1 --pretty`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.bind(f)
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return scpRenderRun(opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.Params, "param", nil, "parameter NAME=VALUE[,VALUE...] (repeatable)")
	cmd.Flags().BoolVar(&opts.Pretty, "pretty", false, "indent the document for reading (AWS counts the whitespace)")
	return cmd
}

func scpRenderRun(opts *ScpRenderOptions) error {
	p, err := libraryPolicy(opts.Name)
	if err != nil {
		return err
	}
	vals, err := scplib.ParseAssignments(opts.Params)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	doc, err := p.Render(vals)
	if err != nil {
		return cmdutil.BadInput(err)
	}
	cfg, err := opts.Config()
	if err != nil {
		return err
	}
	if max := org.LimitsFrom(cfg).SCPSize; len(doc) > max {
		return cmdutil.BadInputf("%s renders to %d characters, over the SCP limit of %d", p.Name, len(doc), max)
	}
	if err := orgcmd.ValidatePolicy(opts.Catalog())(doc, "scp"); err != nil {
		return cmdutil.BadInputf("%s: %v", p.Name, err)
	}
	if opts.Pretty {
		var b bytes.Buffer
		_ = json.Indent(&b, doc, "", "  ")
		doc = b.Bytes()
	}
	_, err = fmt.Fprintf(opts.IO.Out, "%s\n", doc)
	return err
}
