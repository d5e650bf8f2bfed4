package report

import (
	"html/template"
	"io"
	"strings"

	"github.com/seiri-dev/seiri/internal/finding"
)

// The page is self-contained (inline CSS, no scripts, no external fetches)
// so it can be mailed or archived. html/template escapes every value by
// context: names from AWS cannot inject markup or script.
var pageTmpl = template.Must(template.New("page").Funcs(template.FuncMap{
	"upper": strings.ToUpper,
	"sev":   func(s finding.Severity) string { return s.String() },
	"p":     printable,
}).Parse(`<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>seiri audit{{if .R.Snapshot}} · {{p .R.Snapshot}}{{end}}</title>
<style>
body{font-family:system-ui,-apple-system,Segoe UI,sans-serif;margin:2rem;color:#1b1f23;line-height:1.4}
table{border-collapse:collapse;margin:.5rem 0 1.5rem}
th,td{border:1px solid #d0d7de;padding:.3rem .6rem;text-align:left;vertical-align:top}
th{background:#f6f8fa}
td.n{text-align:right}
code{font-size:.9em;word-break:break-all}
ul{margin:0;padding-left:1.1rem}
.critical{color:#fff;background:#8b0000}.high{color:#fff;background:#cf222e}
.medium{background:#f5b400}.low{background:#dbe9f9}.info{background:#eee}
.badge{padding:.1rem .4rem;border-radius:.3rem;font-size:.85em}
</style>
</head>
<body>
<h1>seiri audit</h1>
<p>{{if .R.Snapshot}}Snapshot <code>{{p .R.Snapshot}}</code> · {{end}}{{p .R.Tool}} {{p .R.Version}} · {{len .R.Findings}} findings</p>
<table>
<tr><th>Severity</th><th>Findings</th></tr>
{{range .Counts}}<tr><td><span class="badge {{p .Name}}">{{p .Name}}</span></td><td class="n">{{.N}}</td></tr>
{{end}}</table>
{{if not .Groups}}<p>No findings ({{len .R.Rules}} rules run).</p>{{end}}
{{range .Groups}}
<h2><span class="badge {{sev .Severity}}">{{upper (sev .Severity)}}</span> {{p .Rule.ID}}: {{p .Rule.Title}} ({{len .Findings}})</h2>
{{if .Rule.Description}}<p>{{p .Rule.Description}}</p>{{end}}
{{if .Rule.Recommendation}}<p><strong>Recommendation:</strong> {{p .Rule.Recommendation}}</p>{{end}}
<table>
<tr><th>Account</th><th>Resource</th><th>Finding</th><th>Evidence</th></tr>
{{range .Findings}}<tr><td><code>{{p .Account}}</code></td><td><code>{{p .Resource}}</code></td><td>{{p .Title}}</td><td><ul>{{range .Evidence}}<li>{{p .Name}}: {{p .Value}}</li>{{end}}</ul></td></tr>
{{end}}</table>
{{end}}
</body>
</html>
`))

type severityCount struct {
	Name string
	N    int
}

func renderHTML(w io.Writer, r *finding.Report) error {
	c := counts(r)
	var sc []severityCount
	for _, s := range severities {
		sc = append(sc, severityCount{s.String(), c[s]})
	}
	return pageTmpl.Execute(w, struct {
		R      *finding.Report
		Counts []severityCount
		Groups []group
	}{r, sc, grouped(r)})
}
