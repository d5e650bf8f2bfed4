package leastpriv

import (
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/table"
)

// Formats of a generated policy.
const (
	FormatJSON           = "json"
	FormatTerraform      = "terraform"
	FormatCloudFormation = "cloudformation"
)

// WritePolicies renders g's policies in a format.
func WritePolicies(w io.Writer, g *Generated, format string) error {
	switch format {
	case FormatJSON, "":
		if len(g.Policies) == 1 {
			_, err := w.Write(g.Policies[0].JSON())
			return err
		}
		enc := json.NewEncoder(w)
		enc.SetEscapeHTML(false)
		enc.SetIndent("", "  ")
		return enc.Encode(g.Policies)
	case FormatTerraform:
		return writeTerraform(w, g)
	case FormatCloudFormation:
		return writeCloudFormation(w, g)
	}
	return fmt.Errorf("unknown format %q (want json, terraform or cloudformation)", format)
}

func (g *Generated) policyName(i int) string {
	if len(g.Policies) == 1 {
		return g.Name
	}
	return fmt.Sprintf("%s-%d", g.Name, i+1)
}

func (g *Generated) description() string {
	return "Least privilege for " + g.Principal + " from CloudTrail usage, window " + g.Window + " (seiri policy generate)"
}

// tfIdent makes a Terraform resource label: letters, digits, '_' and '-',
// not starting with a digit.
func tfIdent(s string) string {
	var b strings.Builder
	for i, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r == '_', r == '-':
			b.WriteRune(r)
		case r >= '0' && r <= '9':
			if i == 0 {
				b.WriteByte('_')
			}
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	if b.Len() == 0 {
		return "policy"
	}
	return b.String()
}

// hclString quotes s as an HCL string literal: JSON escapes plus the
// template sequences ${ and %{ doubled so Terraform keeps them literal.
func hclString(s string) string {
	b, _ := json.Marshal(s)
	q := string(b)
	q = strings.ReplaceAll(q, "${", "$${")
	q = strings.ReplaceAll(q, "%{", "%%{")
	return q
}

func writeTerraform(w io.Writer, g *Generated) error {
	var b strings.Builder
	fmt.Fprintf(&b, "# %s\n# %s\n", g.description(), g.Proof)
	for i, d := range g.Policies {
		name := g.policyName(i)
		fmt.Fprintf(&b, "\nresource \"aws_iam_policy\" %s {\n", hclString(tfIdent(name)))
		fmt.Fprintf(&b, "  name        = %s\n", hclString(name))
		fmt.Fprintf(&b, "  description = %s\n", hclString(g.description()))
		b.WriteString("  policy = jsonencode({\n")
		fmt.Fprintf(&b, "    Version = %s\n", hclString(d.Version))
		b.WriteString("    Statement = [\n")
		for _, st := range d.Statement {
			b.WriteString("      {\n")
			fmt.Fprintf(&b, "        Sid      = %s\n", hclString(st.Sid))
			fmt.Fprintf(&b, "        Effect   = %s\n", hclString(st.Effect))
			fmt.Fprintf(&b, "        Action   = %s\n", hclList(st.Action))
			fmt.Fprintf(&b, "        Resource = %s\n", hclList(st.Resource))
			b.WriteString("      },\n")
		}
		b.WriteString("    ]\n  })\n}\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func hclList(vs []string) string {
	q := make([]string, len(vs))
	for i, v := range vs {
		q[i] = hclString(v)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

func writeCloudFormation(w io.Writer, g *Generated) error {
	type props struct {
		ManagedPolicyName string   `json:"ManagedPolicyName"`
		Description       string   `json:"Description"`
		PolicyDocument    Document `json:"PolicyDocument"`
	}
	type res struct {
		Type       string `json:"Type"`
		Properties props  `json:"Properties"`
	}
	resources := map[string]res{}
	for i, d := range g.Policies {
		// CloudFormation logical ids are alphanumeric.
		id := sidOf(g.policyName(i), 1)
		desc := g.description()
		if len(desc) > 1000 { // AWS::IAM::ManagedPolicy Description: up to 1,000 characters
			desc = desc[:1000]
		}
		resources[id] = res{Type: "AWS::IAM::ManagedPolicy", Properties: props{ManagedPolicyName: g.policyName(i), Description: desc, PolicyDocument: d}}
	}
	tmpl := map[string]any{
		"AWSTemplateFormatVersion": "2010-09-09",
		"Description":              g.description() + "; " + g.Proof.String(),
		"Resources":                resources,
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	return enc.Encode(tmpl)
}

// maxSummaryRows bounds the service/level rows of WriteSummary.
const maxSummaryRows = 20

// WriteSummary prints the proof, notes and what is removed (for stderr or
// the table view).
func WriteSummary(w io.Writer, g *Generated) {
	fmt.Fprintf(w, "%s: %d polic%s (%s characters, limit %d), %s\n", g.Principal, len(g.Policies), plural(len(g.Policies), "y", "ies"),
		joinInts(g.Sizes), ManagedPolicyMaxChars, g.Proof)
	fmt.Fprintf(w, "window %s; keeps %d of %d granted actions\n", g.Window, g.Kept, g.Granted)
	for _, n := range g.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
	for _, is := range g.Issues {
		fmt.Fprintf(w, "validate: %s %s %s: %s\n", is.Severity, is.Code, is.Path, is.Message)
	}
	if len(g.Removed) > 0 {
		byLevel := map[catalog.AccessLevel]int{}
		var order []catalog.AccessLevel
		for _, r := range g.Removed {
			if _, ok := byLevel[r.Access]; !ok {
				order = append(order, r.Access)
			}
			byLevel[r.Access] += r.Count
		}
		parts := make([]string, len(order))
		for i, l := range order {
			parts[i] = fmt.Sprintf("%s %d", l, byLevel[l])
		}
		fmt.Fprintf(w, "removes %d actions: %s\n", g.Granted-g.Kept, strings.Join(parts, ", "))
		tw := table.NewWriter(w, 0, 0, 2, ' ', 0)
		for i, r := range g.Removed {
			if i == maxSummaryRows {
				fmt.Fprintf(tw, "  … %d more service/level rows (seiri policy diff lists them)\t\t\n", len(g.Removed)-i)
				break
			}
			fmt.Fprintf(tw, "  %s\t%s\t%d\n", r.Service, r.Access, r.Count)
		}
		tw.Flush()
	}
	for _, c := range g.Proof.Uncovered {
		fmt.Fprintf(w, "NOT COVERED: %s on %q (a bug: please report)\n", c.Action, c.Resource)
	}
	for _, c := range g.Proof.Undetermined {
		fmt.Fprintf(w, "UNDETERMINED: %s on %q: the key policy decides and was not collected (seiri collect reads key policies)\n", c.Action, c.Resource)
	}
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

func joinInts(v []int) string {
	s := make([]string, len(v))
	for i, n := range v {
		s[i] = itoa(n)
	}
	return strings.Join(s, ", ")
}

// WriteDiff writes the Markdown review of current effective permissions
// against the generated policy, by service and access level.
func WriteDiff(w io.Writer, g *Generated, grants *Grants) error {
	var b strings.Builder
	fmt.Fprintf(&b, "## Least privilege for `%s`\n\n", g.Principal)
	fmt.Fprintf(&b, "Window: %s. Generated policy %s; keeps %d of %d granted actions.\n\n", g.Window, g.Proof, g.Kept, g.Granted)
	type cell struct{ now, gen int }
	rows := map[string]map[catalog.AccessLevel]*cell{}
	kept := map[string]bool{}
	for _, d := range g.Policies {
		for _, st := range d.Statement {
			for _, a := range st.Action {
				kept[strings.ToLower(a)] = true
			}
		}
	}
	for _, gr := range grants.List {
		svc := gr.Action.Service.Prefix
		if rows[svc] == nil {
			rows[svc] = map[catalog.AccessLevel]*cell{}
		}
		c := rows[svc][gr.Action.Access]
		if c == nil {
			c = &cell{}
			rows[svc][gr.Action.Access] = c
		}
		c.now++
		if kept[strings.ToLower(gr.Action.FullName())] {
			c.gen++
		}
	}
	svcs := make([]string, 0, len(rows))
	for s := range rows {
		svcs = append(svcs, s)
	}
	slices.Sort(svcs)
	b.WriteString("| Service | Access level | Granted today | Generated | Removed |\n|---|---|---:|---:|---:|\n")
	levels := []catalog.AccessLevel{catalog.PermissionsManagement, catalog.Write, catalog.Tagging, catalog.Read, catalog.List, catalog.AccessUnknown}
	for _, s := range svcs {
		for _, l := range levels {
			if c := rows[s][l]; c != nil {
				fmt.Fprintf(&b, "| %s | %s | %d | %d | %d |\n", mdEscape(s), l, c.now, c.gen, c.now-c.gen)
			}
		}
	}
	if len(g.Notes) > 0 {
		b.WriteString("\n### Notes\n\n")
		for _, n := range g.Notes {
			fmt.Fprintf(&b, "- %s\n", mdEscape(n))
		}
	}
	b.WriteString("\n### Removed actions, highest risk first\n\n")
	const maxListed = 200
	n := 0
	for _, r := range g.Removed {
		for _, a := range r.Actions {
			if n == maxListed {
				break
			}
			fmt.Fprintf(&b, "- `%s` (%s)\n", a, r.Access)
			n++
		}
	}
	if total := g.Granted - g.Kept; total > n {
		fmt.Fprintf(&b, "- … and %d more\n", total-n)
	}
	b.WriteString("\n### Generated policy\n\n")
	for i, d := range g.Policies {
		fmt.Fprintf(&b, "`%s`:\n\n```json\n%s```\n\n", g.policyName(i), d.JSON())
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// mdEscape keeps names from AWS (attacker-controlled) from breaking the table.
func mdEscape(s string) string {
	r := strings.NewReplacer("|", "\\|", "\n", " ", "<", "&lt;", ">", "&gt;", "`", "'")
	return r.Replace(s)
}
