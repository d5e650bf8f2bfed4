// Package scplib is seiri's library of vetted, parameterized service control
// policies. Each policy has a description, declared parameters and a render
// function that builds the document from Go values, so a parameter can never
// break the JSON; rendered documents are minified (AWS counts whitespace
// against the SCP size limit when the API is used).
package scplib

import (
	"encoding/json"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"
)

// SCP is the Organizations policy type of every library policy.
const SCP = "SERVICE_CONTROL_POLICY"

// Kind says what a parameter's values are, for checking them.
type Kind string

// Parameter kinds.
const (
	KindRegion Kind = "region"  // an AWS Region code, e.g. eu-west-1
	KindRole   Kind = "role"    // an IAM role name (wildcards allowed) or role ARN pattern
	KindAction Kind = "action"  // an IAM action pattern, e.g. budgets:* or s3:GetObject
	KindBucket Kind = "bucket"  // an S3 bucket name (wildcards allowed)
	KindNumber Kind = "integer" // a positive integer
)

// Param is one declared parameter. Every parameter is a list of strings; a
// single value is a list of one.
type Param struct {
	Name        string   `json:"name"`
	Description string   `json:"description"`
	Kind        Kind     `json:"kind"`
	Required    bool     `json:"required"`
	Single      bool     `json:"single,omitempty"` // at most one value
	Default     []string `json:"default,omitempty"`
}

// Values are parameter values by name.
type Values map[string][]string

// Policy is one library policy.
type Policy struct {
	Name        string  `json:"name"`
	Description string  `json:"description"`
	Type        string  `json:"type"`
	Params      []Param `json:"parameters,omitempty"`
	// Doc names the AWS documentation the policy follows.
	Doc   string `json:"doc,omitempty"`
	build func(v Values) []Statement
}

// Statement is one policy statement. Field order is the order AWS shows.
type Statement struct {
	Sid       string                    `json:"Sid,omitempty"`
	Effect    string                    `json:"Effect"`
	Action    any                       `json:"Action,omitempty"`
	NotAction any                       `json:"NotAction,omitempty"`
	Resource  any                       `json:"Resource,omitempty"`
	Condition map[string]map[string]any `json:"Condition,omitempty"`
}

// Document is a policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

var library = map[string]*Policy{}

func register(p *Policy) {
	p.Type = SCP
	library[p.Name] = p
}

// All returns every library policy, sorted by name.
func All() []*Policy {
	out := make([]*Policy, 0, len(library))
	for _, p := range library {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// Get returns the named policy.
func Get(name string) (*Policy, bool) {
	p, ok := library[name]
	return p, ok
}

// Names returns the names of all library policies.
func Names() []string {
	var n []string
	for _, p := range All() {
		n = append(n, p.Name)
	}
	return n
}

// Param returns the named parameter declaration.
func (p *Policy) Param(name string) (Param, bool) {
	for _, q := range p.Params {
		if q.Name == name {
			return q, true
		}
	}
	return Param{}, false
}

// ParamError is a problem with one parameter.
type ParamError struct {
	Policy, Param string
	Msg           string
}

func (e *ParamError) Error() string {
	if e.Param == "" {
		return fmt.Sprintf("library policy %q: %s", e.Policy, e.Msg)
	}
	return fmt.Sprintf("library policy %q: parameter %q: %s", e.Policy, e.Param, e.Msg)
}

// Check validates v against the declared parameters and returns the values
// with defaults filled in.
func (p *Policy) Check(v Values) (Values, error) {
	out := Values{}
	for name := range v {
		if _, ok := p.Param(name); !ok {
			var known []string
			for _, q := range p.Params {
				known = append(known, q.Name)
			}
			msg := "unknown parameter"
			if len(known) > 0 {
				msg += " (known: " + strings.Join(known, ", ") + ")"
			} else {
				msg += " (the policy takes none)"
			}
			return nil, &ParamError{p.Name, trim(name), msg}
		}
	}
	for _, q := range p.Params {
		vals, ok := v[q.Name]
		if !ok || len(vals) == 0 {
			vals = q.Default
		}
		if q.Required && len(vals) == 0 {
			return nil, &ParamError{p.Name, q.Name, "required (" + q.Description + ")"}
		}
		if q.Single && len(vals) > 1 {
			return nil, &ParamError{p.Name, q.Name, fmt.Sprintf("takes one value, got %d", len(vals))}
		}
		seen := map[string]bool{}
		for _, s := range vals {
			if err := checkValue(q.Kind, s); err != nil {
				return nil, &ParamError{p.Name, q.Name, fmt.Sprintf("%q: %v", trim(s), err)}
			}
			if seen[s] {
				return nil, &ParamError{p.Name, q.Name, fmt.Sprintf("%q given twice", trim(s))}
			}
			seen[s] = true
		}
		out[q.Name] = append([]string(nil), vals...)
	}
	return out, nil
}

// Render checks the parameters and returns the minified policy document.
func (p *Policy) Render(v Values) ([]byte, error) {
	vals, err := p.Check(v)
	if err != nil {
		return nil, err
	}
	doc := Document{Version: "2012-10-17", Statement: p.build(vals)}
	return json.Marshal(doc)
}

// ParseAssignments turns "k=v" or "k=v1,v2" arguments (as given to
// `seiri scp render --param`) into Values; repeated keys accumulate.
func ParseAssignments(args []string) (Values, error) {
	v := Values{}
	for _, a := range args {
		k, val, ok := strings.Cut(a, "=")
		k = strings.TrimSpace(k)
		if !ok || k == "" {
			return nil, fmt.Errorf("parameter %q: want NAME=VALUE[,VALUE...]", trim(a))
		}
		for _, s := range strings.Split(val, ",") {
			if s = strings.TrimSpace(s); s != "" {
				v[k] = append(v[k], s)
			}
		}
		if _, ok := v[k]; !ok {
			v[k] = nil
		}
	}
	return v, nil
}

// The parameter patterns are compiled on first use: most commands check no
// SCP parameter, and reRole's {1,512} alone compiles to some 400 KB, which
// every seiri process would otherwise build at start.
var (
	reRegion = lazyRegexp(`^[a-z]{2}(-[a-z]+)+-[0-9]{1,2}$`)
	// IAM role names: [\w+=,.@-]+ (CreateRole), here with * and ? wildcards
	// and an optional path.
	reRole    = lazyRegexp(`^[\w+=,.@*?/-]{1,512}$`)
	reRoleARN = lazyRegexp(`^arn:[a-z*-]+:iam::([0-9]{12}|\*):role/[\w+=,.@*?/-]+$`)
	reAction  = lazyRegexp(`^[a-z0-9-]+:[A-Za-z0-9*?]+$`)
	// S3 bucket naming rules: 3–63 of [a-z0-9.-]; * allowed for patterns.
	reBucket = lazyRegexp(`^[a-z0-9*][a-z0-9.*-]{1,61}[a-z0-9*]$`)
	reNumber = lazyRegexp(`^[1-9][0-9]{0,3}$`)
)

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

func checkValue(k Kind, s string) error {
	ok := false
	switch k {
	case KindRegion:
		ok = reRegion().MatchString(s)
	case KindRole:
		ok = reRoleARN().MatchString(s) || (!strings.HasPrefix(s, "arn:") && reRole().MatchString(s))
	case KindAction:
		ok = reAction().MatchString(s)
	case KindBucket:
		ok = reBucket().MatchString(s)
	case KindNumber:
		ok = reNumber().MatchString(s)
	default:
		return fmt.Errorf("unknown parameter kind %q", k)
	}
	if !ok {
		return fmt.Errorf("not a valid %s", k)
	}
	return nil
}

func trim(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}

// roleARNs turns role names into ARN patterns usable with ArnLike on
// aws:PrincipalARN; the partition and account are wildcards so the policy
// works in every account of the organization.
func roleARNs(names []string) []string {
	out := make([]string, 0, len(names))
	for _, n := range names {
		if strings.HasPrefix(n, "arn:") {
			out = append(out, n)
			continue
		}
		out = append(out, "arn:*:iam::*:role/"+strings.TrimPrefix(n, "/"))
	}
	return out
}

// exempt adds "unless the caller is one of these roles" to a statement.
func exempt(s Statement, roles []string) Statement {
	if len(roles) == 0 {
		return s
	}
	if s.Condition == nil {
		s.Condition = map[string]map[string]any{}
	}
	s.Condition["ArnNotLike"] = map[string]any{"aws:PrincipalARN": one(roleARNs(roles))}
	return s
}

// one renders a single-element list as a string, as AWS's own examples do.
func one(v []string) any {
	if len(v) == 1 {
		return v[0]
	}
	return v
}
