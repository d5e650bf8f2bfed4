package report

import (
	"encoding/json"
	"io"
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

type sarifRule struct {
	ID                   string             `json:"id"`
	Name                 string             `json:"name"`
	ShortDescription     sarifText          `json:"shortDescription"`
	FullDescription      sarifText          `json:"fullDescription"`
	Help                 sarifText          `json:"help"`
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
	RuleID     string           `json:"ruleId"`
	RuleIndex  int              `json:"ruleIndex"`
	Level      string           `json:"level"`
	Message    sarifText        `json:"message"`
	Locations  []sarifLocation  `json:"locations"`
	Properties sarifResultProps `json:"properties"`
}

type sarifLocation struct {
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations"`
}

type sarifLogicalLocation struct {
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifResultProps struct {
	Account        string             `json:"account"`
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
		help := ru.Recommendation
		if help == "" {
			help = desc
		}
		tags := ru.Tags
		if tags == nil {
			tags = []string{}
		}
		index[ru.ID] = len(drv.Rules)
		drv.Rules = append(drv.Rules, sarifRule{
			ID: ru.ID, Name: pascal(ru.Title, ru.ID), ShortDescription: sarifText{ru.Title}, FullDescription: sarifText{desc},
			Help: sarifText{help}, HelpURI: ru.HelpURI,
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
				Message: sarifText{f.Title},
				Locations: []sarifLocation{{LogicalLocations: []sarifLogicalLocation{{
					FullyQualifiedName: f.Resource, Kind: "resource",
				}}}},
				Properties: sarifResultProps{Account: f.Account, Severity: f.Severity.String(), Evidence: ev, Recommendation: f.Recommendation},
			})
		}
	}
	run.Tool.Driver = drv
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}
