package scp

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"

	orgcmd "github.com/seiri-dev/seiri/internal/cmd/org"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/org/scplib"
	"github.com/seiri-dev/seiri/internal/table"
)

// NewCmd is the `seiri scp` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scp",
		Short: "seiri's library of vetted, parameterized service control policies",
	}
	cmd.AddCommand(newCmdScpList(f), newCmdScpShow(f), newCmdScpRender(f, nil), newCmdScpSimulate(f, nil), newCmdScpSuggest(f))
	return cmd
}

func newCmdScpList(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List the library's policies",
		Example: `  seiri scp list
  seiri scp list -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if f.Globals.Output == "json" {
				return cmdutil.WriteJSON(f.IO.Out, scplib.All())
			}
			tw := table.NewWriter(f.IO.Out, 0, 4, 2, ' ', 0)
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
		},
	}
}

func libraryPolicy(name string) (*scplib.Policy, error) {
	p, ok := scplib.Get(name)
	if !ok {
		return nil, cmdutil.BadInputf("no library policy %q (known: %s)", name, strings.Join(scplib.Names(), ", "))
	}
	return p, nil
}

func newCmdScpShow(f *cmdutil.Factory) *cobra.Command {
	return &cobra.Command{
		Use:     "show NAME",
		Short:   "Show a library policy: description, parameters and an example rendering",
		Example: `  seiri scp show allowed-regions`,
		Args:    cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			p, err := libraryPolicy(args[0])
			if err != nil {
				return err
			}
			if f.Globals.Output == "json" {
				return cmdutil.WriteJSON(f.IO.Out, p)
			}
			w := f.IO.Out
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
		},
	}
}

// ScpRenderOptions are `seiri scp render`'s arguments.
type ScpRenderOptions struct {
	Name   string
	Params []string
	Pretty bool
}

func newCmdScpRender(f *cmdutil.Factory, runF func(*ScpRenderOptions) error) *cobra.Command {
	opts := &ScpRenderOptions{}
	cmd := &cobra.Command{
		Use:   "render NAME [--param k=v[,v...]]...",
		Short: "Render a library policy with parameters (minified, ready to upload)",
		Example: `  seiri scp render deny-root-user
  seiri scp render allowed-regions --param regions=eu-west-1,eu-central-1 --pretty`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.Name = args[0]
			if runF != nil {
				return runF(opts)
			}
			return scpRenderRun(f, opts)
		},
	}
	cmd.Flags().StringArrayVar(&opts.Params, "param", nil, "parameter NAME=VALUE[,VALUE...] (repeatable)")
	cmd.Flags().BoolVar(&opts.Pretty, "pretty", false, "indent the document for reading (AWS counts the whitespace)")
	return cmd
}

func scpRenderRun(f *cmdutil.Factory, opts *ScpRenderOptions) error {
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
	cfg, err := f.Config()
	if err != nil {
		return err
	}
	if max := org.LimitsFrom(cfg).SCPSize; len(doc) > max {
		return cmdutil.BadInputf("%s renders to %d characters, over the SCP limit of %d", p.Name, len(doc), max)
	}
	if err := orgcmd.ValidatePolicy(f.Catalog())(doc, "scp"); err != nil {
		return cmdutil.BadInputf("%s: %v", p.Name, err)
	}
	if opts.Pretty {
		var b bytes.Buffer
		_ = json.Indent(&b, doc, "", "  ")
		doc = b.Bytes()
	}
	_, err = fmt.Fprintf(f.IO.Out, "%s\n", doc)
	return err
}
