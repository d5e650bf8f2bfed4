package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"net/url"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"unicode"

	"github.com/seiri-dev/seiri/internal/finding"
)

// SARIF 2.1.0 (OASIS standard), the subset seiri writes. Schema:
// https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json
const (
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"
	sarifVersion = "2.1.0"
	// InformationURI is the tool's home page in SARIF's tool.driver.
	InformationURI = "https://github.com/seiri-dev/seiri"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool    sarifTool     `json:"tool"`
	Results []sarifResult `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text string `json:"text"`
}

// sarifMessage is a multiformatMessageString with both forms: GitHub shows
// help.markdown when present, help.text otherwise.
type sarifMessage struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name"`
	ShortDescription     sarifText          `json:"shortDescription"`
	FullDescription      sarifText          `json:"fullDescription"`
	Help                 sarifMessage       `json:"help"`
	HelpURI              string             `json:"helpUri,omitempty"`
	DefaultConfiguration sarifConfiguration `json:"defaultConfiguration"`
	Properties           sarifRuleProps     `json:"properties"`
}

type sarifConfiguration struct {
	Level string `json:"level"`
}

type sarifRuleProps struct {
	Tags []string `json:"tags"`
	// SecuritySeverity is GitHub code scanning's 0.0–10.0 score, which it
	// maps back to critical/high/medium/low.
	SecuritySeverity string `json:"security-severity"`
}

type sarifResult struct {
	RuleID    string          `json:"ruleId"`
	RuleIndex int             `json:"ruleIndex"`
	Level     string          `json:"level"`
	Message   sarifText       `json:"message"`
	Locations []sarifLocation `json:"locations"`
	// PartialFingerprints lets GitHub code scanning match a result across
	// runs: see fingerprint.
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          sarifResultProps  `json:"properties"`
}

type sarifLocation struct {
	PhysicalLocation sarifPhysicalLocation  `json:"physicalLocation"`
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations,omitempty"`
}

type sarifPhysicalLocation struct {
	ArtifactLocation sarifArtifactLocation `json:"artifactLocation"`
	Region           sarifRegion           `json:"region"`
}

type sarifArtifactLocation struct {
	URI         string     `json:"uri"`
	Description *sarifText `json:"description,omitempty"`
}

type sarifRegion struct {
	StartLine   int `json:"startLine"`
	StartColumn int `json:"startColumn,omitempty"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifResultProps struct {
	Account        string             `json:"account,omitempty"`
	Severity       string             `json:"severity"`
	Evidence       []finding.Evidence `json:"evidence"`
	Recommendation string             `json:"recommendation,omitempty"`
}

// pascal turns a title into SARIF's suggested rule name style
// ("Root user without MFA" → "RootUserWithoutMFA"); fallback when empty.
func pascal(title, fallback string) string {
	var b strings.Builder
	up := true
	for _, r := range title {
		switch {
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if up {
				r = unicode.ToUpper(r)
			}
			b.WriteRune(r)
			up = false
		default:
			up = true
		}
	}
	if b.Len() == 0 {
		return fallback
	}
	return b.String()
}

// sarifLevel maps seiri's severities onto SARIF's three result levels.
func sarifLevel(s finding.Severity) string {
	switch {
	case s >= finding.High:
		return "error"
	case s == finding.Medium:
		return "warning"
	default:
		return "note"
	}
}

// securitySeverity is GitHub's properties.security-severity: above 9.0 is
// critical, 7.0–8.9 high, 4.0–6.9 medium, 0.1–3.9 low.
// https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#reportingdescriptor-object
func securitySeverity(s finding.Severity) string {
	switch s {
	case finding.Critical:
		return "9.5"
	case finding.High:
		return "8.0"
	case finding.Medium:
		return "5.5"
	case finding.Low:
		return "3.0"
	}
	return "0.0"
}

// fingerprintKey names seiri's partial fingerprint; the "/v1" changes if
// the fields that go into it ever do, so GitHub does not mix the two.
const fingerprintKey = "seiriFindingId/v1"

// identityEvidence are the evidence names that tell two findings of one
// rule on one resource apart (a user's two keys, a role's two trust
// statements). Their values are identities, never counts or dates.
var identityEvidence = map[string]bool{
	"access_key_id":      true,
	"policy":             true,
	"attached policy":    true,
	"principal":          true,
	"statement":          true,
	"region":             true,
	"server certificate": true,
}

// fingerprint identifies a finding across runs for GitHub code scanning
// (result.partialFingerprints): the rule, the account, the resource ARN and
// the identity evidence — never the title, dates, ages or counts, which
// change from one day to the next while the problem stays the same.
// https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning#providing-data-to-track-code-scanning-alerts-across-runs
func fingerprint(f finding.Finding) string {
	h := sha256.New()
	parts := []string{f.RuleID, f.Account, f.Resource}
	if l := f.Location; l != nil {
		// A finding about a file (a validation problem) is the file, the
		// element's path and the message, which names no date or count; never
		// the line, which moves when lines are added above.
		parts = append(parts, "file", l.File, l.Path, f.Title)
	}
	for _, part := range parts {
		h.Write([]byte(part))
		h.Write([]byte{0})
	}
	var ids []string
	for _, e := range f.Evidence {
		if identityEvidence[e.Name] {
			ids = append(ids, e.Name+"="+e.Value)
		}
	}
	sort.Strings(ids)
	for _, id := range ids {
		h.Write([]byte(id))
		h.Write([]byte{0})
	}
	return hex.EncodeToString(h.Sum(nil))[:32]
}

// StandInURI is the artifact location of a finding that has no file:
// "aws/<account>/<service>/<resource path>" built from the resource ARN
// (arn:aws:iam::111111111111:user/ops/amy → aws/111111111111/iam/user/ops/amy).
// GitHub code scanning requires a physical location for every alert and
// matches alerts across runs by file path, so the path must be stable: it
// names the AWS resource, never a snapshot file (whose name changes on every
// collect). Each segment is percent-encoded, so any name is a valid URI
// reference. Documented in docs/outputs.md.
func StandInURI(account, resource string) string {
	segs := []string{"aws"}
	acct := account
	var rest []string
	if parts := strings.SplitN(resource, ":", 6); len(parts) == 6 && parts[0] == "arn" {
		if parts[4] != "" {
			acct = parts[4]
		}
		rest = append([]string{parts[2]}, strings.Split(strings.ReplaceAll(parts[5], ":", "/"), "/")...)
	} else if resource != "" {
		rest = []string{"resource", resource}
	}
	if acct == "" {
		acct = "unknown-account"
	}
	segs = append(segs, acct)
	segs = append(segs, rest...)
	out := make([]string, 0, len(segs))
	for _, s := range segs {
		if s == "" {
			continue
		}
		if s == "." || s == ".." { // would walk the path
			out = append(out, strings.Repeat("%2E", len(s)))
			continue
		}
		out = append(out, url.PathEscape(s))
	}
	return strings.Join(out, "/")
}

// locationOf is the finding's file, line and column when it has one (an
// org.yaml line, a policy file) with its JSON or YAML path as a logical
// location, otherwise the stand-in artifact plus the resource as a logical
// location.
func locationOf(f finding.Finding) sarifLocation {
	if l := f.Location; l != nil && (l.File != "" || l.Stdin) {
		line := max(l.Line, 1)
		col := 0
		if l.Line >= 1 {
			col = max(l.Column, 0)
		}
		art := sarifArtifactLocation{URI: fileURI(l.File)}
		if l.Stdin {
			art = sarifArtifactLocation{URI: StdinURI, Description: &sarifText{"standard input (not a file in the repository)"}}
		}
		loc := sarifLocation{PhysicalLocation: sarifPhysicalLocation{ArtifactLocation: art, Region: sarifRegion{StartLine: line, StartColumn: col}}}
		switch {
		case l.Path != "":
			loc.LogicalLocations = []sarifLogicalLocation{{FullyQualifiedName: l.Path, Kind: "element"}}
		case f.Resource != "":
			loc.LogicalLocations = []sarifLogicalLocation{{FullyQualifiedName: f.Resource, Kind: "resource"}}
		}
		return loc
	}
	fqn := f.Resource
	if fqn == "" {
		fqn = f.Account
	}
	return sarifLocation{
		PhysicalLocation: sarifPhysicalLocation{
			ArtifactLocation: sarifArtifactLocation{URI: StandInURI(f.Account, f.Resource),
				Description: &sarifText{"AWS resource (not a file in the repository): " + fqn}},
			Region: sarifRegion{StartLine: 1},
		},
		LogicalLocations: []sarifLogicalLocation{{Name: f.Account, FullyQualifiedName: fqn, Kind: "resource"}},
	}
}

// StdinURI is the artifact of a document read from standard input: it has
// no path, and code scanning needs one.
const StdinURI = "stdin"

// fileURI turns a file path into a URI reference with forward slashes, each
// segment percent-encoded: relative paths stay relative (code scanning
// resolves them against the repository root); an absolute path becomes a
// file:// URI.
func fileURI(p string) string {
	p = filepath.ToSlash(strings.ReplaceAll(p, "\\", "/"))
	abs := strings.HasPrefix(p, "/")
	segs := strings.Split(strings.TrimPrefix(p, "/"), "/")
	for i, s := range segs {
		segs[i] = url.PathEscape(s)
	}
	if abs {
		return "file:///" + strings.Join(segs, "/")
	}
	return strings.Join(segs, "/")
}

// RelPath is path as a SARIF location wants it: relative to dir (the
// working directory, which is the repository root in CI) when path is
// inside it, otherwise absolute. Paths are cleaned; an empty dir leaves a
// relative path as it is.
func RelPath(dir, path string) string {
	if path == "" {
		return ""
	}
	if dir == "" {
		return filepath.Clean(path)
	}
	abs := path
	if !filepath.IsAbs(abs) {
		abs = filepath.Join(dir, abs)
	}
	if r, err := filepath.Rel(dir, abs); err == nil && r != ".." && !strings.HasPrefix(r, ".."+string(filepath.Separator)) {
		return r
	}
	return filepath.Clean(abs)
}

// helpOf is a rule's help: its description, the recommendation and the AWS
// documentation link, as text and as Markdown.
func helpOf(ru finding.Rule, desc string) sarifMessage {
	text := desc
	md := desc
	if ru.Recommendation != "" {
		text += "\n\nRecommendation: " + ru.Recommendation
		md += "\n\n**Recommendation:** " + ru.Recommendation
	}
	if ru.HelpURI != "" {
		label := "AWS documentation"
		if strings.HasPrefix(ru.HelpURI, InformationURI) {
			label = "seiri documentation"
		}
		text += "\n\n" + label + ": " + ru.HelpURI
		md += "\n\n" + label + ": <" + ru.HelpURI + ">"
	}
	md += "\n\nRule `" + ru.ID + "`, severity " + ru.Severity.String() + "."
	return sarifMessage{Text: text, Markdown: md}
}

func renderSARIF(w io.Writer, r *finding.Report) error {
	name := r.Tool
	if name == "" {
		name = "seiri"
	}
	ver := r.Version
	if ver == "" {
		ver = "unknown"
	}
	drv := sarifDriver{Name: name, Version: ver, InformationURI: InformationURI, Rules: []sarifRule{}}
	index := map[string]int{}
	addRule := func(ru finding.Rule) int {
		desc := ru.Description
		if desc == "" {
			desc = ru.Title
		}
		// "security" puts the alerts under code scanning's security view;
		// GitHub reads properties.security-severity only with it.
		tags := append([]string{}, ru.Tags...)
		if !slices.Contains(tags, "security") {
			tags = append([]string{"security"}, tags...)
		}
		index[ru.ID] = len(drv.Rules)
		drv.Rules = append(drv.Rules, sarifRule{
			ID: ru.ID, Name: pascal(ru.Title, ru.ID), ShortDescription: sarifText{ru.Title}, FullDescription: sarifText{desc},
			Help: helpOf(ru, desc), HelpURI: ru.HelpURI,
			DefaultConfiguration: sarifConfiguration{Level: sarifLevel(ru.Severity)},
			Properties:           sarifRuleProps{Tags: tags, SecuritySeverity: securitySeverity(ru.Severity)},
		})
		return index[ru.ID]
	}
	for _, ru := range r.Rules {
		if _, dup := index[ru.ID]; !dup {
			addRule(ru)
		}
	}
	run := sarifRun{Tool: sarifTool{Driver: drv}, Results: []sarifResult{}}
	for _, g := range grouped(r) {
		for _, f := range g.Findings {
			i, ok := index[f.RuleID]
			if !ok {
				i = addRule(ruleOf(r, f.RuleID))
			}
			ev := f.Evidence
			if ev == nil {
				ev = []finding.Evidence{}
			}
			run.Results = append(run.Results, sarifResult{
				RuleID: f.RuleID, RuleIndex: i, Level: sarifLevel(f.Severity),
				Message:             sarifText{f.Title},
				Locations:           []sarifLocation{locationOf(f)},
				PartialFingerprints: map[string]string{fingerprintKey: fingerprint(f)},
				Properties:          sarifResultProps{Account: f.Account, Severity: f.Severity.String(), Evidence: ev, Recommendation: f.Recommendation},
			})
		}
	}
	run.Tool.Driver = drv
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}
