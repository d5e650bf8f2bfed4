package root

import (
	"github.com/spf13/cobra"
	"strings"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

// Every --output value a command writes, by command path: `--help` lists
// them and any other value exits 2 naming them (issue 15: no silent
// fallback to a table). TestEveryCommandDeclaresOutputs keeps this complete;
// TestOutputFormats runs each declared value.
var (
	tableOnly  = []string{"table"}
	tableJSON  = []string{"table", "json"}
	tabular    = []string{"table", "json", "csv"}
	catalogOut = []string{"table", "json", "csv", "markdown"}
	findings   = []string{"table", "json", "csv", "sarif", "markdown", "html"}
	validation = []string{"table", "json", "sarif"}
)

var commandOutputs = map[string][]string{
	"seiri audit":                     findings,
	"seiri demo":                      findings,
	"seiri detect":                    findings,
	"seiri detect findings":           findings,
	"seiri detect ack":                tableOnly,
	"seiri detect rules":              tableJSON,
	"seiri unused":                    findings,
	"seiri catalog expand":            catalogOut,
	"seiri catalog search":            catalogOut,
	"seiri catalog show":              catalogOut,
	"seiri catalog update":            tableOnly,
	"seiri collect":                   tableJSON,
	"seiri daily":                     tableJSON,
	"seiri groups analyze":            tableJSON,
	"seiri groups apply":              tableJSON,
	"seiri groups plan":               tableJSON,
	"seiri keys":                      tableJSON,
	"seiri keys delete":               tableJSON,
	"seiri keys disable":              tableJSON,
	"seiri keys plan":                 tableJSON,
	"seiri keys restore":              tableJSON,
	"seiri keys watch":                tableJSON,
	"seiri org apply":                 tableJSON,
	"seiri org import":                tableOnly,
	"seiri org init":                  tableOnly,
	"seiri org plan":                  tableJSON,
	"seiri org report":                tableJSON,
	"seiri org schema":                tableOnly,
	"seiri org stage":                 tableOnly,
	"seiri org validate":              validation,
	"seiri permissions":               tableOnly,
	"seiri permissions collect":       tableOnly,
	"seiri permissions keys":          tableOnly,
	"seiri policy diff":               tableOnly,
	"seiri policy generate":           tableOnly,
	"seiri policy simulate":           tableJSON,
	"seiri policy validate":           validation,
	"seiri report":                    tableOnly,
	"seiri roles suggest":             tableJSON,
	"seiri roles update-ip-ranges":    tableOnly,
	"seiri scp list":                  tableJSON,
	"seiri scp render":                tableOnly,
	"seiri scp show":                  tableJSON,
	"seiri scp simulate":              tableJSON,
	"seiri scp suggest":               tableJSON,
	"seiri snapshot import":           tableOnly,
	"seiri snapshot list":             tableJSON,
	"seiri risk paths":                tableJSON,
	"seiri risk external":             tableJSON,
	"seiri sso plan":                  tableJSON,
	"seiri trail athena setup":        tableOnly,
	"seiri trail errors":              tabular,
	"seiri trail scan":                tabular,
	"seiri trail stats":               tabular,
	"seiri trail unmapped":            tabular,
	"seiri trail usage":               tabular,
	"seiri users":                     tableJSON,
	"seiri users restore-from-backup": tableJSON,
	"seiri users retire":              tableJSON,
	"seiri users retire delete":       tableJSON,
	"seiri users retire plan":         tableJSON,
	"seiri users retire quarantine":   tableJSON,
	"seiri users retire restore":      tableJSON,
	"seiri users retire watch":        tableJSON,
	"seiri version":                   tableOnly,
}

// declareOutputs annotates every runnable command with its formats; a
// command missing from commandOutputs is a programming error caught by the
// tests (it then accepts table only).
// documentCommands write a document on standard output (a policy, a
// schema, Markdown, Terraform): it is never wrapped to the terminal's width
// (cmdutil.DocumentAnnotation). Every other table output fits 120 columns
// (TestTablesFitTheTerminal).
var documentCommands = map[string]bool{
	"seiri scp render":          true,
	"seiri policy generate":     true,
	"seiri policy diff":         true,
	"seiri org schema":          true,
	"seiri org init":            true,
	"seiri org import":          true,
	"seiri permissions collect": true,
	"seiri permissions keys":    true,
}

// fittedGroups are the command groups whose text fits table.Width columns
// wherever it goes, not only on a terminal (cmdutil.FitAnnotation): the
// keys and users plans are reviewed as files, in CI logs and tickets, and
// their lines carry ARNs and tag values of any length.
var fittedGroups = map[string]bool{"seiri keys": true, "seiri users": true}

func declareOutputs(root *cobra.Command) {
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		if c.Runnable() && c.Annotations[cmdutil.GroupAnnotation] == "" && c.Name() != "help" && c.Name() != "completion" && (c.Parent() == nil || c.Parent().Name() != "completion") {
			formats, ok := commandOutputs[c.CommandPath()]
			if !ok {
				formats = tableOnly
			}
			cmdutil.DeclareOutputs(c, formats...)
			if documentCommands[c.CommandPath()] {
				cmdutil.MarkDocument(c)
			}
			if fittedGroups[strings.Join(strings.Fields(c.CommandPath())[:2], " ")] {
				cmdutil.MarkFit(c)
			}
		}
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
}
