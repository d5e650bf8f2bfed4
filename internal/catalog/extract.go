package catalog

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
)

// The dependent-action extract (data/dependent-actions.json): facts read by
// hand from AWS documentation, each with its source and a short quote.
//
//   - Column facts come from the "Dependent actions" column of the Service
//     Authorization Reference (other permissions that may be needed to call
//     the action, the reference says), operations facts from its "API
//     operations" table (the actions an API operation authorizes). Neither
//     says on which resource nor when, so New merges them into every
//     catalog's Action.Dependent as they are, and
//     (*Catalog).DependentsOf returns those the curated table does not
//     cover. A column fact with no needs records that the column is empty
//     for that action.
//   - Document facts come from API references and user guides ("you must
//     also have ..."). They back the entries of the curated table
//     (dependent.go), which adds what the column cannot say: the resource
//     and the condition.
//
// The extract is a sample of the reference, not all of it: neither catalog
// source carries the column (docs/catalog.md).

//go:embed data/dependent-actions.json
var extractJSON []byte

// FactSource is one document the extract was read from.
type FactSource struct {
	ID    string `json:"id"`
	Title string `json:"title"`
	URL   string `json:"url"`  // the AWS page
	Copy  string `json:"copy"` // where it was read: repo@commit:path, or a URL
}

// DependentFact is one fact of the extract.
type DependentFact struct {
	Action      string   `json:"action"`
	Needs       []string `json:"needs"`
	Column      bool     `json:"column,omitempty"`      // the reference's "Dependent actions" column
	Operations  bool     `json:"operations,omitempty"`  // the reference's "API operations" table
	Conditional bool     `json:"conditional,omitempty"` // the text says: only for some requests
	Source      string   `json:"source"`                // a FactSource ID
	Quote       string   `json:"quote"`
}

type extractFile struct {
	About   string          `json:"about"`
	Sources []FactSource    `json:"sources"`
	Facts   []DependentFact `json:"facts"`
}

// loadExtract parses the extract on first use (a catalog's decode, the
// dependent-action checks), not at start: a command that needs no catalog
// never pays for it.
var loadExtract = sync.OnceValues(func() (*extractFile, error) { return parseExtract(extractJSON) })

// parseExtract reads the extract strictly: unknown fields, facts without an
// action, a source or a quote, unknown source IDs and duplicate facts are
// errors naming the fact.
func parseExtract(data []byte) (*extractFile, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f extractFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("dependent-action extract: %w", err)
	}
	if dec.More() {
		return nil, errors.New("dependent-action extract: data after the object")
	}
	ids := map[string]bool{}
	for i, s := range f.Sources {
		if s.ID == "" || s.URL == "" || s.Copy == "" || ids[s.ID] {
			return nil, fmt.Errorf("dependent-action extract: sources[%d] (%q): missing id, url or copy, or a duplicate id", i, s.ID)
		}
		if !strings.HasPrefix(s.URL, "https://docs.aws.amazon.com/") && !strings.HasPrefix(s.URL, "https://repost.aws/") {
			return nil, fmt.Errorf("dependent-action extract: sources[%d] (%q): url %q is no AWS page", i, s.ID, s.URL)
		}
		ids[s.ID] = true
	}
	seen := map[string]bool{}
	for i, d := range f.Facts {
		switch {
		case !strings.Contains(d.Action, ":"):
			return nil, fmt.Errorf("dependent-action extract: facts[%d]: action %q is not service:Name", i, d.Action)
		case !ids[d.Source]:
			return nil, fmt.Errorf("dependent-action extract: facts[%d] (%s): unknown source %q", i, d.Action, d.Source)
		case d.Quote == "":
			return nil, fmt.Errorf("dependent-action extract: facts[%d] (%s): no quote", i, d.Action)
		case len(d.Needs) == 0 && !d.Column && !d.Operations:
			return nil, fmt.Errorf("dependent-action extract: facts[%d] (%s): a document fact needs at least one action", i, d.Action)
		case (d.Column || d.Operations) && d.Conditional:
			return nil, fmt.Errorf("dependent-action extract: facts[%d] (%s): the reference's tables say nothing of conditions", i, d.Action)
		case d.Column && d.Operations:
			return nil, fmt.Errorf("dependent-action extract: facts[%d] (%s): column or operations, not both", i, d.Action)
		case d.Operations && len(d.Needs) == 0:
			return nil, fmt.Errorf("dependent-action extract: facts[%d] (%s): an operations fact needs at least one action", i, d.Action)
		}
		for _, n := range d.Needs {
			k := strings.ToLower(d.Action + ">" + n + ">" + fmt.Sprint(d.reference()))
			if !strings.Contains(n, ":") || seen[k] {
				return nil, fmt.Errorf("dependent-action extract: facts[%d] (%s): need %q is not service:Name, or is listed twice", i, d.Action, n)
			}
			seen[k] = true
		}
	}
	return &f, nil
}

// reference reports a fact of the reference's own tables (the Dependent
// actions column or the API operations table), which New merges into
// Action.Dependent; false for a document fact.
func (f DependentFact) reference() bool { return f.Column || f.Operations }

// DependentFacts returns the extract's facts and sources; err reports an
// extract that could not be read (then there are none).
func DependentFacts() ([]DependentFact, []FactSource, error) {
	extract, err := loadExtract()
	if err != nil {
		return nil, nil, err
	}
	return slices.Clone(extract.Facts), slices.Clone(extract.Sources), nil
}

// factSource returns the source with this ID.
func factSource(id string) (FactSource, bool) {
	extract, _ := loadExtract()
	if extract == nil {
		return FactSource{}, false
	}
	i := slices.IndexFunc(extract.Sources, func(s FactSource) bool { return s.ID == id })
	if i < 0 {
		return FactSource{}, false
	}
	return extract.Sources[i], true
}

// factFor returns the fact stating that a call of action needs needs:
// a fact of the reference's tables when reference, else a document fact.
func factFor(action, needs string, reference bool) (DependentFact, bool) {
	extract, _ := loadExtract()
	if extract == nil {
		return DependentFact{}, false
	}
	for _, f := range extract.Facts {
		if f.reference() == reference && strings.EqualFold(f.Action, action) &&
			slices.ContainsFunc(f.Needs, func(n string) bool { return strings.EqualFold(n, needs) }) {
			return f, true
		}
	}
	return DependentFact{}, false
}

// Checked returns where the curated entry was confirmed: the extract's
// document fact for it, else a fact of the reference's tables, with its source;
// ok is false for an entry no source read so far confirms.
func (d Dependent) Checked() (DependentFact, FactSource, bool) {
	f, ok := factFor(d.Action, d.Needs, false)
	if !ok {
		f, ok = factFor(d.Action, d.Needs, true)
	}
	if !ok {
		return DependentFact{}, FactSource{}, false
	}
	s, _ := factSource(f.Source)
	return f, s, true
}

// mergeColumnFacts records the extract's facts of the reference's tables
// (the Dependent actions column, the API operations table) in the
// catalog's actions (Action.Dependent), canonical names, each once. Facts
// naming an action the catalog lacks are skipped.
func (c *Catalog) mergeColumnFacts() {
	extract, _ := loadExtract()
	if extract == nil {
		return
	}
	for _, f := range extract.Facts {
		if !f.reference() {
			continue
		}
		a, ok := c.Action(f.Action)
		if !ok {
			continue
		}
		for _, n := range f.Needs {
			a.addDependent(c, n)
		}
	}
}

// addDependent appends needs (canonical name when the catalog knows it) to
// a.Dependent unless it is there, never writing into a shared array.
func (a *Action) addDependent(c *Catalog, needs string) {
	if n, ok := c.Action(needs); ok {
		needs = n.FullName()
	}
	if !slices.ContainsFunc(a.Dependent, func(s string) bool { return strings.EqualFold(s, needs) }) {
		a.Dependent = append(slices.Clip(a.Dependent), needs)
	}
}
