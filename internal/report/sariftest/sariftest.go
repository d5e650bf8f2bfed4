// Package sariftest checks SARIF logs in tests: against the SARIF 2.1.0
// JSON schema (vendored in testdata, see testdata/README.md) and against
// what GitHub code scanning requires of an upload beyond the schema.
// Only tests import it.
package sariftest

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"sync"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

//go:embed testdata/sarif-schema-2.1.0.json
var schemaJSON []byte

var (
	once   sync.Once
	schema *jsonschema.Schema
	errCmp error
)

func compiled() (*jsonschema.Schema, error) {
	once.Do(func() {
		doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(schemaJSON))
		if err != nil {
			errCmp = err
			return
		}
		c := jsonschema.NewCompiler()
		c.DefaultDraft(jsonschema.Draft4)
		c.AssertFormat()
		if err := c.AddResource("sarif-schema-2.1.0.json", doc); err != nil {
			errCmp = err
			return
		}
		schema, errCmp = c.Compile("sarif-schema-2.1.0.json")
	})
	return schema, errCmp
}

// Schema validates data against the SARIF 2.1.0 schema.
func Schema(data []byte) error {
	sch, err := compiled()
	if err != nil {
		return fmt.Errorf("compiling the SARIF schema: %w", err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(data))
	if err != nil {
		return fmt.Errorf("not JSON: %w", err)
	}
	return sch.Validate(doc)
}

// GitHub returns what GitHub code scanning would reject or mis-file in
// data, beyond the schema: every rule with short and full descriptions,
// help text and Markdown, tags and a numeric security-severity; every result
// with a rule, a message, a physical location (artifact URI and start line)
// and partial fingerprints; at most 10 locations per result.
// https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning
func GitHub(data []byte) []string {
	var log struct {
		Version string `json:"version"`
		Runs    []struct {
			Tool struct {
				Driver struct {
					Name  string `json:"name"`
					Rules []struct {
						ID               string            `json:"id"`
						ShortDescription map[string]string `json:"shortDescription"`
						FullDescription  map[string]string `json:"fullDescription"`
						Help             map[string]string `json:"help"`
						Properties       struct {
							Tags             []string `json:"tags"`
							SecuritySeverity string   `json:"security-severity"`
						} `json:"properties"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string            `json:"ruleId"`
				RuleIndex *int              `json:"ruleIndex"`
				Message   map[string]string `json:"message"`
				Locations []struct {
					PhysicalLocation *struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region *struct {
							StartLine int `json:"startLine"`
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
				PartialFingerprints map[string]string `json:"partialFingerprints"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(data, &log); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	var bad []string
	add := func(f string, a ...any) { bad = append(bad, fmt.Sprintf(f, a...)) }
	if log.Version != "2.1.0" {
		add("version %q, want 2.1.0", log.Version)
	}
	for ri, run := range log.Runs {
		if run.Tool.Driver.Name == "" {
			add("run %d: tool.driver.name empty", ri)
		}
		ids := map[string]int{}
		for i, ru := range run.Tool.Driver.Rules {
			ids[ru.ID] = i
			where := fmt.Sprintf("rule %s", ru.ID)
			if ru.ShortDescription["text"] == "" || ru.FullDescription["text"] == "" {
				add("%s: short or full description empty", where)
			}
			if ru.Help["text"] == "" || ru.Help["markdown"] == "" {
				add("%s: help text or markdown empty", where)
			}
			if len(ru.Properties.Tags) == 0 {
				add("%s: no tags", where)
			}
			v, err := strconv.ParseFloat(ru.Properties.SecuritySeverity, 64)
			if err != nil || v < 0 || v > 10 {
				add("%s: security-severity %q is not a number from 0.0 to 10.0", where, ru.Properties.SecuritySeverity)
			}
		}
		fps := map[string]int{}
		for i, res := range run.Results {
			where := fmt.Sprintf("result %d (%s)", i, res.RuleID)
			j, ok := ids[res.RuleID]
			if !ok {
				add("%s: rule not in tool.driver.rules", where)
			} else if res.RuleIndex != nil && *res.RuleIndex != j {
				add("%s: ruleIndex %d, rule is at %d", where, *res.RuleIndex, j)
			}
			if strings.TrimSpace(res.Message["text"]) == "" {
				add("%s: empty message", where)
			}
			if len(res.Locations) == 0 || len(res.Locations) > 10 {
				add("%s: %d locations, want 1 to 10", where, len(res.Locations))
			}
			for _, l := range res.Locations {
				pl := l.PhysicalLocation
				if pl == nil || pl.ArtifactLocation.URI == "" || pl.Region == nil || pl.Region.StartLine < 1 {
					add("%s: location without artifactLocation.uri and region.startLine", where)
				}
			}
			if len(res.PartialFingerprints) == 0 {
				add("%s: no partialFingerprints", where)
			}
			for k, v := range res.PartialFingerprints {
				key := k + "=" + v
				if prev, dup := fps[key]; dup {
					add("%s: same fingerprint as result %d (GitHub would merge them)", where, prev)
				}
				fps[key] = i
			}
		}
	}
	return bad
}

// Check returns every problem with data: schema first, then GitHub's rules.
func Check(data []byte) error {
	var msgs []string
	if err := Schema(data); err != nil {
		msgs = append(msgs, "schema: "+err.Error())
	}
	msgs = append(msgs, GitHub(data)...)
	if len(msgs) == 0 {
		return nil
	}
	if len(msgs) > 20 {
		msgs = append(msgs[:20], fmt.Sprintf("… and %d more", len(msgs)-20))
	}
	return fmt.Errorf("%s", strings.Join(msgs, "\n"))
}
