package catalog

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/table"
)

// NewCmd is the `seiri catalog` command group.
func NewCmd(f *cmdutil.Factory) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "catalog",
		Short: "The IAM service authorization catalog: services, actions, resource types, condition keys",
		Long: `The IAM catalog lists every AWS service prefix, every action with its access
level, the resource types it accepts and its condition keys. It is embedded in
seiri; "seiri catalog update" refreshes it from AWS's service reference into
the workspace cache, which then overrides the embedded copy.`,
	}
	cmd.AddCommand(
		NewCmdCatalogShow(f, nil),
		NewCmdCatalogExpand(f, nil),
		NewCmdCatalogSearch(f, nil),
		NewCmdCatalogUpdate(f, nil),
	)
	return cmd
}

// CatalogOptions are the inputs of the catalog subcommands.
type CatalogOptions struct {
	IO     *cmdutil.IOStreams
	Output string
	// Workspace is the workspace folder whose cache update writes to.
	// Reading never creates it.
	Workspace string
	// Catalog is the IAM catalog in force (the workspace's refreshed copy,
	// else the embedded one): what show, expand and search read.
	Catalog func() *catalog.Catalog
	// Arg is the ACTION|SERVICE, PATTERN or search TEXT.
	Arg string

	// used is the source of the catalog read, named under the table.
	used catalog.Source

	// update only
	URL        string
	Timeout    time.Duration
	HTTPClient *http.Client
	Now        func() time.Time
	Context    context.Context
	Progress   bool
}

func catalogOptions(f *cmdutil.Factory) *CatalogOptions {
	return &CatalogOptions{IO: f.IO, Context: f.Context, Now: f.Now}
}

// fill copies the global flags, read at run time (after parsing).
func (o *CatalogOptions) fill(f *cmdutil.Factory, cmd *cobra.Command) {
	o.Output = f.Globals.Output
	o.Workspace = f.Globals.Workspace
	o.Catalog = f.Catalog
	o.Progress = f.Progress()
	o.Now = f.Now
	switch {
	case cmd.Context() != nil:
		o.Context = cmd.Context()
	case f.Context != nil:
		o.Context = f.Context
	default:
		o.Context = context.Background()
	}
}

// NewCmdCatalogShow is `seiri catalog show ACTION|SERVICE`.
func NewCmdCatalogShow(f *cmdutil.Factory, runF func(*CatalogOptions) error) *cobra.Command {
	opts := catalogOptions(f)
	return &cobra.Command{
		Use:   "show NAME",
		Short: "Show an action (s3:GetObject), a service (s3) or a condition key (aws:SourceIp)",
		Example: `  seiri catalog show s3:GetObject
  seiri catalog show iam -o json
  seiri catalog show aws:PrincipalTag/team`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.fill(f, cmd)
			opts.Arg = args[0]
			if runF != nil {
				return runF(opts)
			}
			return catalogShowRun(opts)
		},
	}
}

// NewCmdCatalogExpand is `seiri catalog expand PATTERN`.
func NewCmdCatalogExpand(f *cmdutil.Factory, runF func(*CatalogOptions) error) *cobra.Command {
	opts := catalogOptions(f)
	return &cobra.Command{
		Use:   "expand PATTERN",
		Short: "List the actions an IAM action pattern matches (s3:Get*, *:Describe*)",
		Example: `  seiri catalog expand 's3:Get*'
  seiri catalog expand 'iam:*AccessKey*' -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.fill(f, cmd)
			opts.Arg = args[0]
			if runF != nil {
				return runF(opts)
			}
			return catalogExpandRun(opts)
		},
	}
}

// NewCmdCatalogSearch is `seiri catalog search TEXT`.
func NewCmdCatalogSearch(f *cmdutil.Factory, runF func(*CatalogOptions) error) *cobra.Command {
	opts := catalogOptions(f)
	return &cobra.Command{
		Use:     "search TEXT...",
		Short:   "Find actions whose name or description holds every word of TEXT",
		Example: `  seiri catalog search iam access key`,
		Args:    cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.fill(f, cmd)
			opts.Arg = strings.Join(args, " ")
			if runF != nil {
				return runF(opts)
			}
			return catalogSearchRun(opts)
		},
	}
}

// NewCmdCatalogUpdate is `seiri catalog update [--url URL]`.
func NewCmdCatalogUpdate(f *cmdutil.Factory, runF func(*CatalogOptions) error) *cobra.Command {
	opts := catalogOptions(f)
	cmd := &cobra.Command{
		Use:   "update",
		Short: "Refresh the catalog from AWS's service reference into the workspace cache",
		Example: `  seiri catalog update
  seiri catalog update --timeout 2m`,
		Long: `Downloads AWS's official service reference (a service list and one JSON
document per service) and stores it in <workspace>/cache/catalog/. The file is
written only when every document was fetched and parsed; from then on the
cached catalog overrides the one embedded in seiri.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			opts.fill(f, cmd)
			if runF != nil {
				return runF(opts)
			}
			return catalogUpdateRun(opts)
		},
	}
	cmd.Flags().StringVar(&opts.URL, "url", catalog.ServiceReferenceURL, "service list URL of the service reference")
	cmd.Flags().DurationVar(&opts.Timeout, "timeout", 5*time.Minute, "give up after this long")
	return cmd
}

// cacheDir is the workspace's cache folder, computed without creating the
// workspace: reading the catalog should leave no .seiri folder behind.
func (o *CatalogOptions) cacheDir() string { return cmdutil.CatalogCacheDir(o.Workspace) }

// load returns the catalog in force (a damaged cache is warned about and
// ignored) and notes its source for the report.
func (o *CatalogOptions) load() *catalog.Catalog {
	c := o.Catalog()
	o.used = c.Source()
	return c
}

func (o *CatalogOptions) checkOutput() error {
	switch o.Output {
	case "", "table", "json", "csv", "markdown":
		return nil
	}
	return cmdutil.BadInputf("--output %s: catalog commands write table, json, csv or markdown", o.Output)
}

func catalogShowRun(o *CatalogOptions) error {
	if err := o.checkOutput(); err != nil {
		return err
	}
	c := o.load()
	arg := strings.TrimSpace(o.Arg)
	if strings.ContainsAny(arg, "*?") {
		return cmdutil.BadInputf("%q is a pattern: use `seiri catalog expand %s`", catalogTrim(arg), arg)
	}
	if strings.Contains(arg, ":") {
		a, ok := c.Action(arg)
		if !ok {
			if k, ok := c.ConditionKey(arg); ok {
				return catalogWriteConditionKey(o, arg, k)
			}
			return cmdutil.BadInputf("unknown action %q%s", catalogTrim(arg), catalogSuggest(c, arg))
		}
		return catalogWriteAction(o, a)
	}
	s, ok := c.Service(arg)
	if !ok {
		return cmdutil.BadInputf("unknown service prefix %q (an action is written prefix:Name, e.g. s3:GetObject)", catalogTrim(arg))
	}
	return catalogWriteService(o, s)
}

// catalogSuggest names a few actions close to an unknown one.
func catalogSuggest(c *catalog.Catalog, name string) string {
	prefix, action, _ := strings.Cut(name, ":")
	if _, ok := c.Service(prefix); !ok {
		return fmt.Sprintf(": no service prefix %q", catalogTrim(prefix))
	}
	if len(action) < 3 {
		return ""
	}
	hits := c.Search(prefix + ":" + action[:len(action)*2/3])
	if len(hits) == 0 {
		return ""
	}
	var out []string
	for _, a := range hits[:min(3, len(hits))] {
		out = append(out, a.FullName())
	}
	return " (did you mean " + strings.Join(out, ", ") + "?)"
}

func catalogExpandRun(o *CatalogOptions) error {
	if err := o.checkOutput(); err != nil {
		return err
	}
	c := o.load()
	actions := c.Expand(strings.TrimSpace(o.Arg))
	if len(actions) == 0 && (o.Output == "" || o.Output == "table") {
		fmt.Fprintf(o.IO.ErrOut, "no action matches %q\n", catalogTrim(o.Arg))
		return nil
	}
	return catalogWriteActions(o, actions)
}

func catalogSearchRun(o *CatalogOptions) error {
	if err := o.checkOutput(); err != nil {
		return err
	}
	if strings.TrimSpace(o.Arg) == "" {
		return cmdutil.BadInputf("search: give some text")
	}
	c := o.load()
	actions := c.Search(o.Arg)
	if len(actions) == 0 && (o.Output == "" || o.Output == "table") {
		fmt.Fprintf(o.IO.ErrOut, "no action matches %q\n", catalogTrim(o.Arg))
		return nil
	}
	return catalogWriteActions(o, actions)
}

func catalogUpdateRun(o *CatalogOptions) error {
	if err := o.checkOutput(); err != nil {
		return err
	}
	ctx := o.Context
	if o.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, o.Timeout)
		defer cancel()
	}
	now := time.Now()
	if o.Now != nil {
		now = o.Now()
	}
	fo := catalog.FetchOptions{Client: o.HTTPClient, Base: catalog.Embedded(), Now: now}
	if o.Progress {
		fo.Progress = func(done, total int) {
			fmt.Fprintf(o.IO.ErrOut, "\rfetching service reference: %d/%d", done, total)
			if done == total {
				fmt.Fprintln(o.IO.ErrOut)
			}
		}
	}
	c, err := catalog.Fetch(ctx, o.URL, fo)
	if err != nil {
		if errors.Is(err, context.Canceled) {
			return err
		}
		return &cmdutil.ExitError{Code: cmdutil.ExitInternal, Err: fmt.Errorf("catalog update: %w (the cached catalog, if any, is unchanged)", err)}
	}
	path, err := catalog.WriteCache(o.cacheDir(), c)
	if err != nil {
		return &cmdutil.ExitError{Code: cmdutil.ExitInternal, Err: fmt.Errorf("catalog update: %w", err)}
	}
	if o.Output == "json" {
		return catalogWriteJSON(o.IO.Out, map[string]any{
			"path": path, "source": c.Source(), "services": len(c.Services()), "actions": len(c.Actions()),
		})
	}
	fmt.Fprintf(o.IO.Out, "catalog updated: %d services, %d actions from %s\nwritten to %s\n",
		len(c.Services()), len(c.Actions()), o.URL, path)
	return nil
}

// --- rendering ---

type catalogActionJSON struct {
	Action        string                    `json:"action"`
	Access        catalog.AccessLevel       `json:"access"`
	ResourceLevel bool                      `json:"resourceLevel"`
	ResourceTypes []catalogResourceRefJSON  `json:"resourceTypes"`
	Description   string                    `json:"description,omitempty"`
	ConditionKeys []string                  `json:"conditionKeys,omitempty"`
	Dependent     []string                  `json:"dependentActions,omitempty"`
	Resources     []catalogResourceTypeJSON `json:"resourceTypeDetails,omitempty"`
	Service       *catalogServiceHeaderJSON `json:"service,omitempty"`
}

type catalogResourceRefJSON struct {
	Name     string `json:"name"`
	Required bool   `json:"required"`
}

type catalogResourceTypeJSON struct {
	Name          string   `json:"name"`
	Required      bool     `json:"required,omitempty"`
	ARNFormats    []string `json:"arnFormats"`
	ConditionKeys []string `json:"conditionKeys,omitempty"`
}

type catalogServiceHeaderJSON struct {
	Prefix string `json:"prefix"`
	Name   string `json:"name"`
}

func catalogSummary(a *catalog.Action) catalogActionJSON {
	s := catalogActionJSON{Action: a.FullName(), Access: a.Access, ResourceLevel: a.SupportsResourceLevel(), ResourceTypes: []catalogResourceRefJSON{}}
	for _, r := range a.Resources {
		s.ResourceTypes = append(s.ResourceTypes, catalogResourceRefJSON{Name: r.Type.Name, Required: r.Required})
	}
	return s
}

// catalogResourceCell is "object*, accesspointobject" (* = required) or "* (no
// resource-level permissions)".
func catalogResourceCell(a *catalog.Action) string {
	if !a.SupportsResourceLevel() {
		return `"*" only`
	}
	parts := make([]string, len(a.Resources))
	for i, r := range a.Resources {
		parts[i] = r.Type.Name
		if r.Required {
			parts[i] += "*"
		}
	}
	return strings.Join(parts, ", ")
}

func catalogWriteJSON(w io.Writer, v any) error {
	return cmdutil.WriteJSONUnescaped(w, v)
}

func catalogWriteActions(o *CatalogOptions, actions []*catalog.Action) error {
	switch o.Output {
	case "json":
		out := make([]catalogActionJSON, len(actions))
		for i, a := range actions {
			out[i] = catalogSummary(a)
		}
		return catalogWriteJSON(o.IO.Out, struct {
			Catalog catalog.Source      `json:"catalog"` // the catalog in force
			Actions []catalogActionJSON `json:"actions"`
		}{o.used, out})
	case "csv":
		w := csv.NewWriter(o.IO.Out)
		w.Write([]string{"action", "access", "resource_level", "resource_types"})
		for _, a := range actions {
			w.Write([]string{a.FullName(), a.Access.String(), fmt.Sprint(a.SupportsResourceLevel()), catalogResourceCell(a)})
		}
		w.Flush()
		return w.Error()
	case "markdown":
		fmt.Fprintln(o.IO.Out, "| Action | Access level | Resource types (* = required) |")
		fmt.Fprintln(o.IO.Out, "| --- | --- | --- |")
		for _, a := range actions {
			fmt.Fprintf(o.IO.Out, "| `%s` | %s | %s |\n", a.FullName(), a.Access, catalogMDEscape(catalogResourceCell(a)))
		}
		return nil
	}
	tw := table.NewWriter(o.IO.Out, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ACTION\tACCESS\tRESOURCE TYPES (* = required)")
	for _, a := range actions {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", a.FullName(), a.Access, catalogResourceCell(a))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	word := "actions"
	if len(actions) == 1 {
		word = "action"
	}
	_, err := fmt.Fprintf(o.IO.Out, "%d %s (catalog: %s)\n", len(actions), word, o.used)
	return err
}

func catalogMDEscape(s string) string { return strings.ReplaceAll(s, "|", `\|`) }

func catalogWriteAction(o *CatalogOptions, a *catalog.Action) error {
	d := catalogSummary(a)
	d.Description = a.Description
	d.ConditionKeys = a.ConditionKeys
	d.Dependent = a.Dependent
	d.Service = &catalogServiceHeaderJSON{Prefix: a.Service.Prefix, Name: a.Service.Name}
	for _, r := range a.Resources {
		d.Resources = append(d.Resources, catalogResourceTypeJSON{Name: r.Type.Name, Required: r.Required, ARNFormats: r.Type.ARNFormats, ConditionKeys: r.ConditionKeys})
	}
	switch o.Output {
	case "json":
		return catalogWriteJSON(o.IO.Out, d)
	case "csv":
		return catalogWriteActions(o, []*catalog.Action{a})
	}
	md := o.Output == "markdown"
	w := o.IO.Out
	if md {
		fmt.Fprintf(w, "## `%s`\n\n", a.FullName())
	}
	field := func(k, v string) {
		switch {
		case md && v == "":
			fmt.Fprintf(w, "- **%s**:\n", k)
		case md:
			fmt.Fprintf(w, "- **%s**: %s\n", k, v)
		case v == "":
			fmt.Fprintf(w, "%s:\n", k)
		default:
			fmt.Fprintf(w, "%-16s %s\n", k+":", v)
		}
	}
	field("Action", a.FullName())
	field("Service", fmt.Sprintf("%s (%s)", a.Service.Name, a.Service.Prefix))
	field("Access level", a.Access.String())
	if a.Description != "" {
		field("Description", a.Description)
	}
	if !a.SupportsResourceLevel() {
		field("Resources", `no resource-level permissions: grant with "Resource": "*"`)
	} else {
		field("Resource types", "")
		for _, r := range a.Resources {
			req := "optional"
			if r.Required {
				req = "required"
			}
			line := fmt.Sprintf("%s (%s): %s", r.Type.Name, req, strings.Join(r.Type.ARNFormats, " | "))
			if len(r.ConditionKeys) > 0 {
				line += "  [" + strings.Join(r.ConditionKeys, ", ") + "]"
			}
			if md {
				fmt.Fprintf(w, "  - %s\n", line)
			} else {
				fmt.Fprintf(w, "  %s\n", line)
			}
		}
	}
	if len(a.ConditionKeys) > 0 {
		field("Condition keys", strings.Join(a.ConditionKeys, ", "))
	}
	if len(a.Dependent) > 0 {
		field("Dependent", strings.Join(a.Dependent, ", "))
	}
	field("Catalog", o.used.String())
	return nil
}

func catalogWriteConditionKey(o *CatalogOptions, asked string, k catalog.ConditionKey) error {
	switch o.Output {
	case "json":
		return catalogWriteJSON(o.IO.Out, map[string]string{"conditionKey": k.Name, "type": k.Type})
	case "csv":
		w := csv.NewWriter(o.IO.Out)
		w.Write([]string{"condition_key", "type"})
		w.Write([]string{k.Name, k.Type})
		w.Flush()
		return w.Error()
	}
	fmt.Fprintf(o.IO.Out, "%-16s %s\n%-16s %s\n", "Condition key:", k.Name, "Type:", k.Type)
	if !strings.EqualFold(asked, k.Name) {
		fmt.Fprintf(o.IO.Out, "%-16s %s matches this templated key\n", "Note:", asked)
	}
	fmt.Fprintf(o.IO.Out, "%-16s %s\n", "Catalog:", o.used)
	return nil
}

type catalogServiceJSON struct {
	Prefix        string                    `json:"prefix"`
	Name          string                    `json:"name"`
	Actions       []catalogActionJSON       `json:"actions"`
	ResourceTypes []catalogResourceTypeJSON `json:"resourceTypes"`
	ConditionKeys []catalog.ConditionKey    `json:"conditionKeys"`
}

func catalogWriteService(o *CatalogOptions, s *catalog.Service) error {
	switch o.Output {
	case "json":
		out := catalogServiceJSON{Prefix: s.Prefix, Name: s.Name, Actions: []catalogActionJSON{}, ResourceTypes: []catalogResourceTypeJSON{}, ConditionKeys: s.ConditionKeys}
		for _, a := range s.Actions {
			out.Actions = append(out.Actions, catalogSummary(a))
		}
		for _, rt := range s.ResourceTypes {
			out.ResourceTypes = append(out.ResourceTypes, catalogResourceTypeJSON{Name: rt.Name, ARNFormats: rt.ARNFormats, ConditionKeys: rt.ConditionKeys})
		}
		if out.ConditionKeys == nil {
			out.ConditionKeys = []catalog.ConditionKey{}
		}
		return catalogWriteJSON(o.IO.Out, out)
	case "csv", "markdown":
		return catalogWriteActions(o, s.Actions)
	}
	counts := map[catalog.AccessLevel]int{}
	for _, a := range s.Actions {
		counts[a.Access]++
	}
	fmt.Fprintf(o.IO.Out, "%s (%s): %d actions (List %d, Read %d, Write %d, Permissions management %d, Tagging %d), %d resource types, %d condition keys\n\n",
		s.Name, s.Prefix, len(s.Actions), counts[catalog.List], counts[catalog.Read], counts[catalog.Write],
		counts[catalog.PermissionsManagement], counts[catalog.Tagging], len(s.ResourceTypes), len(s.ConditionKeys))
	if err := catalogWriteActions(o, s.Actions); err != nil {
		return err
	}
	if len(s.ResourceTypes) > 0 {
		fmt.Fprintln(o.IO.Out)
		tw := table.NewWriter(o.IO.Out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "RESOURCE TYPE\tARN FORMAT")
		for _, rt := range s.ResourceTypes {
			fmt.Fprintf(tw, "%s\t%s\n", rt.Name, strings.Join(rt.ARNFormats, " | "))
		}
		return tw.Flush()
	}
	return nil
}

// catalogTrim shortens user input quoted in an error.
func catalogTrim(s string) string {
	if len(s) > 80 {
		return s[:80] + "…"
	}
	return s
}
