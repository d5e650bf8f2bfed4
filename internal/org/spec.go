// Package org is the organization as code: the org.yaml spec (OU tree,
// account placement, policies and their attachments), its validation against
// AWS Organizations' limits, the template and import that write it, and the
// plan that turns a snapshot's organization into the spec's.
package org

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"

	"github.com/seiri-dev/seiri/internal/textenc"
)

// SpecVersion is the version of the org.yaml format this build reads.
const SpecVersion = 1

// DefaultSuspendedOU is the OU that accounts removed from the spec move to.
const DefaultSuspendedOU = "Suspended"

// Spec is org.yaml.
type Spec struct {
	Version int `yaml:"version" json:"version"`
	// ManagementAccount is the management account's id (SCPs never apply to
	// it); informative, checked against the snapshot by plan.
	ManagementAccount string `yaml:"management_account,omitempty" json:"management_account,omitempty"`
	// SuspendedOU is the path ("Suspended", "Archive/Suspended") of the OU that
	// accounts missing from the spec are moved to. Accounts are never closed.
	SuspendedOU string   `yaml:"suspended_ou,omitempty" json:"suspended_ou,omitempty"`
	Root        Root     `yaml:"root" json:"root"`
	Policies    []Policy `yaml:"policies,omitempty" json:"policies,omitempty"`
}

// Root is the organization root.
type Root struct {
	// Policies are the names of the policies attached to the root. Absent:
	// FullAWSAccess only (what AWS attaches by default).
	Policies []string  `yaml:"policies,omitempty" json:"policies,omitempty"`
	OUs      []OU      `yaml:"ous,omitempty" json:"ous,omitempty"`
	Accounts []Account `yaml:"accounts,omitempty" json:"accounts,omitempty"`
}

// OU is an organizational unit and what it contains.
type OU struct {
	Name     string    `yaml:"name" json:"name"`
	Policies []string  `yaml:"policies,omitempty" json:"policies,omitempty"`
	OUs      []OU      `yaml:"ous,omitempty" json:"ous,omitempty"`
	Accounts []Account `yaml:"accounts,omitempty" json:"accounts,omitempty"`
}

// Account is an account placed in the tree: by id when it exists, by name
// and email (no id) when seiri is to create it.
type Account struct {
	ID       string            `yaml:"id,omitempty" json:"id,omitempty"`
	Name     string            `yaml:"name,omitempty" json:"name,omitempty"`
	Email    string            `yaml:"email,omitempty" json:"email,omitempty"`
	Policies []string          `yaml:"policies,omitempty" json:"policies,omitempty"`
	Tags     map[string]string `yaml:"tags,omitempty" json:"tags,omitempty"`
}

// Policy is a policy declared by the spec: from a file (relative to the
// spec), from seiri's library with parameters, or inline.
type Policy struct {
	Name        string         `yaml:"name" json:"name"`
	Type        string         `yaml:"type,omitempty" json:"type,omitempty"` // scp (default), rcp, tag, backup, ...
	Description string         `yaml:"description,omitempty" json:"description,omitempty"`
	File        string         `yaml:"file,omitempty" json:"file,omitempty"`
	Library     string         `yaml:"library,omitempty" json:"library,omitempty"`
	Params      map[string]any `yaml:"params,omitempty" json:"params,omitempty"`
	Content     string         `yaml:"content,omitempty" json:"content,omitempty"`
}

// PolicyType is an Organizations policy type as the API names it.
type PolicyType string

// Policy types.
const (
	SCP          PolicyType = "SERVICE_CONTROL_POLICY"
	RCP          PolicyType = "RESOURCE_CONTROL_POLICY"
	TagPolicy    PolicyType = "TAG_POLICY"
	BackupPolicy PolicyType = "BACKUP_POLICY"
	AIOptOut     PolicyType = "AISERVICES_OPT_OUT_POLICY"
	Chatbot      PolicyType = "CHATBOT_POLICY"
	Declarative  PolicyType = "DECLARATIVE_POLICY_EC2"
)

// policyTypes maps the spec's short names to API types.
var policyTypes = map[string]PolicyType{
	"scp": SCP, "rcp": RCP, "tag": TagPolicy, "backup": BackupPolicy,
	"aiservices_opt_out": AIOptOut, "chatbot": Chatbot, "declarative_ec2": Declarative,
}

// ShortType returns the spec's name of an API policy type.
func ShortType(t PolicyType) string {
	for k, v := range policyTypes {
		if v == t {
			return k
		}
	}
	return strings.ToLower(string(t))
}

// ParseType returns the API type of a spec type name ("" is scp).
func ParseType(s string) (PolicyType, bool) {
	if s == "" {
		return SCP, true
	}
	t, ok := policyTypes[s]
	return t, ok
}

// AWS-managed policies every organization has; a spec names them without
// declaring them.
const (
	FullAWSAccess    = "FullAWSAccess"
	RCPFullAWSAccess = "RCPFullAWSAccess"
)

// Document is a parsed spec with what is needed to report positions.
type Document struct {
	Path string // as given; used in messages
	Dir  string // policy files are relative to it
	Spec Spec
	ast  *ast.File
}

// Parse decodes org.yaml. Unknown keys, wrong types and syntax errors are
// reported with the file, line and column.
func Parse(path string, data []byte) (doc *Document, err error) {
	// The YAML library is third-party code fed with outside input: a panic
	// inside it becomes an error rather than a crash.
	defer func() {
		if r := recover(); r != nil {
			doc, err = nil, fmt.Errorf("%s: cannot parse YAML: %v", path, r)
		}
	}()
	if data, err = textenc.UTF8(data); err != nil { // a UTF-8 BOM is dropped; UTF-16 is refused
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		return nil, fmt.Errorf("%s:%s", path, yamlErr(err))
	}
	d := &Document{Path: path, Dir: filepath.Dir(path), ast: f}
	if len(f.Docs) > 1 {
		return nil, fmt.Errorf("%s: holds %d YAML documents, want one", path, len(f.Docs))
	}
	if len(f.Docs) == 0 || f.Docs[0].Body == nil {
		return nil, fmt.Errorf("%s: empty document (want version: 1 and root:)", path)
	}
	// Decode from the parsed tree rather than parsing the text twice.
	if err := yaml.NodeToValue(f.Docs[0].Body, &d.Spec, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("%s:%s", path, yamlErr(err))
	}
	return d, nil
}

// Load reads and parses a spec file.
func Load(path string) (*Document, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return Parse(path, data)
}

// yamlErr renders a YAML error as "LINE:COL: message" (without the source
// excerpt, which could be long).
func yamlErr(err error) string {
	s := yaml.FormatError(err, false, false)
	// FormatError gives "[L:C] msg".
	if strings.HasPrefix(s, "[") {
		if i := strings.Index(s, "]"); i > 0 {
			return s[1:i] + ":" + s[i+1:]
		}
	}
	return " " + s
}

// Pos returns the line and column of the node at a YAML path such as
// "$.root.ous[1].name"; 0, 0 when the path is not in the file (a default).
func (d *Document) Pos(path string) (line, col int) {
	if d == nil || d.ast == nil {
		return 0, 0
	}
	for path != "" && path != "$" {
		if l, c := d.pos(path); l > 0 {
			return l, c
		}
		// Fall back to the nearest enclosing node that exists.
		path = parentPath(path)
	}
	return 0, 0
}

func (d *Document) pos(path string) (line, col int) {
	defer func() {
		if recover() != nil {
			line, col = 0, 0
		}
	}()
	p, err := yaml.PathString(path)
	if err != nil {
		return 0, 0
	}
	n, err := p.FilterFile(d.ast)
	if err != nil || n == nil || n.GetToken() == nil {
		return 0, 0
	}
	t := n.GetToken()
	return t.Position.Line, t.Position.Column
}

func parentPath(p string) string {
	if strings.HasSuffix(p, "]") {
		if i := strings.LastIndex(p, "["); i > 0 {
			return p[:i]
		}
	}
	if i := strings.LastIndex(p, "."); i > 0 {
		return p[:i]
	}
	return ""
}

// Problem is one validation error, placed in the spec.
type Problem struct {
	File   string `json:"file"`
	Line   int    `json:"line,omitempty"`
	Column int    `json:"column,omitempty"`
	Path   string `json:"path"` // YAML path in org.yaml; JSON path in a policy file
	// Code is the policy validator's code of a problem in a policy file
	// (STATEMENT_MISSING_EFFECT…); empty for the spec's own problems.
	Code    string `json:"code,omitempty"`
	Message string `json:"message"`
}

func (p Problem) Error() string {
	if p.Line > 0 {
		return fmt.Sprintf("%s:%d:%d: %s", p.File, p.Line, p.Column, p.Message)
	}
	return fmt.Sprintf("%s: %s: %s", p.File, p.Path, p.Message)
}

// Problems is a list of validation errors.
type Problems []Problem

func (ps Problems) Error() string {
	var b strings.Builder
	for i, p := range ps {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p.Error())
	}
	return b.String()
}

// Err returns ps as an error, or nil when empty.
func (ps Problems) Err() error {
	if len(ps) == 0 {
		return nil
	}
	return ps
}

func (d *Document) problem(path, format string, args ...any) Problem {
	l, c := d.Pos(path)
	return Problem{File: d.Path, Line: l, Column: c, Path: path, Message: fmt.Sprintf(format, args...)}
}

// ParamValues converts a policy's YAML params into library values: a string,
// number or boolean is one value, a list is several.
func ParamValues(params map[string]any) (map[string][]string, error) {
	out := map[string][]string{}
	for k, v := range params {
		switch x := v.(type) {
		case nil:
			out[k] = nil
		case []any:
			for i, e := range x {
				s, ok := scalar(e)
				if !ok {
					return nil, fmt.Errorf("parameter %q: element %d: want a string, got %T", k, i, e)
				}
				out[k] = append(out[k], s)
			}
		default:
			s, ok := scalar(x)
			if !ok {
				return nil, fmt.Errorf("parameter %q: want a string or a list of strings, got %T", k, v)
			}
			out[k] = []string{s}
		}
	}
	return out, nil
}

func scalar(v any) (string, bool) {
	switch x := v.(type) {
	case string:
		return x, true
	case bool:
		return strconv.FormatBool(x), true
	case int:
		return strconv.Itoa(x), true
	case int64:
		return strconv.FormatInt(x, 10), true
	case uint64:
		return strconv.FormatUint(x, 10), true
	case float64:
		return strconv.FormatFloat(x, 'f', -1, 64), true
	}
	return "", false
}

func trim(s string) string {
	const max = 80
	if len(s) > max {
		return s[:max] + "…"
	}
	return s
}
