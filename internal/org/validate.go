package org

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/seiri-dev/seiri/internal/org/scplib"

	"github.com/seiri-dev/seiri/internal/textenc"
)

// Validator checks a rendered policy document of a kind ("scp", "rcp",
// "tag", …). The CLI sets it to the policy engine's validator; nil skips.
// An error of type PolicyIssues places each problem in the document; a
// problem in a policy file then points at the file's line and column.
type Validator func(doc []byte, kind string) error

// PolicyIssue is one problem a Validator found in a policy document: its
// stable code, a line and column in the bytes the Validator was given (0:
// unknown), the JSON path of the element and the message.
type PolicyIssue struct {
	Code    string
	Line    int
	Column  int
	Path    string
	Message string
	// Text is the issue on one line, as the error reads.
	Text string
}

// PolicyIssues are a Validator's problems, as an error.
type PolicyIssues []PolicyIssue

func (is PolicyIssues) Error() string {
	lines := make([]string, len(is))
	for i, x := range is {
		lines[i] = x.Text
	}
	return strings.Join(lines, "\n")
}

// Options tune compilation and validation.
type Options struct {
	Limits    Limits
	Validator Validator
	// ReadFile reads policy files (default os.ReadFile).
	ReadFile func(string) ([]byte, error)
}

var (
	reAccountID = regexp.MustCompile(`^[0-9]{12}$`)
	// CreateAccount Email pattern: [^\s@]+@[^\s@]+\.[^\s@]+
	reEmail = regexp.MustCompile(`^[^\s@]+@[^\s@]+\.[^\s@]+$`)
	// CreateAccount AccountName pattern: [\u0020-\u007E]+
	reAccountName = regexp.MustCompile(`^[\x20-\x7E]+$`)
)

// Compile validates a spec and builds its desired State. The State is
// usable only when there are no problems.
func Compile(d *Document, opt Options) (*State, Problems) {
	c := &compiler{d: d, opt: opt, s: newState(), placed: map[string]string{}, names: map[string]string{}}
	if c.opt.Limits == (Limits{}) {
		c.opt.Limits = DefaultLimits()
	}
	if c.opt.ReadFile == nil {
		c.opt.ReadFile = os.ReadFile
	}
	sp := &d.Spec
	if sp.Version != SpecVersion {
		c.add("$.version", "version %d is not supported (this seiri reads version %d)", sp.Version, SpecVersion)
	}
	if sp.ManagementAccount != "" && !reAccountID.MatchString(sp.ManagementAccount) {
		c.add("$.management_account", "%q is not a 12-digit account id", trim(sp.ManagementAccount))
	}
	c.s.Management = sp.ManagementAccount
	c.s.SuspendedOU = sp.SuspendedOU
	if c.s.SuspendedOU == "" {
		c.s.SuspendedOU = DefaultSuspendedOU
	}
	c.builtins()
	for i := range sp.Policies {
		c.policy(fmt.Sprintf("$.policies[%d]", i), &sp.Policies[i])
	}
	c.node("$.root", "", sp.Root.Policies, sp.Root.OUs, sp.Root.Accounts)
	if n := len(c.s.OUs); n > c.opt.Limits.OUs {
		c.add("$.root.ous", "%d OUs, over the limit of %d per organization", n, c.opt.Limits.OUs)
	}
	if sp.SuspendedOU != "" {
		if _, ok := c.s.OUs[sp.SuspendedOU]; !ok {
			c.add("$.suspended_ou", "OU %q is not in the tree", trim(sp.SuspendedOU))
		}
	}
	return c.s, c.ps
}

type compiler struct {
	d      *Document
	opt    Options
	s      *State
	ps     Problems
	placed map[string]string // account key → YAML path where placed
	names  map[string]string // policy name → YAML path where declared
	index  map[string]*PolicyState
}

func (c *compiler) add(path, format string, args ...any) {
	c.ps = append(c.ps, c.d.problem(path, format, args...))
}

// line returns "line N" of a YAML path for "first at line N" messages.
func (c *compiler) line(path string) string {
	if l, _ := c.d.Pos(path); l > 0 {
		return fmt.Sprintf("line %d", l)
	}
	return path
}

// builtins are the AWS-managed policies a spec may name without declaring.
func (c *compiler) builtins() {
	full := &PolicyState{Name: FullAWSAccess, Type: SCP, AWSManaged: true, Source: "AWS managed",
		Content: `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`}
	c.s.Policies[full.Key()] = full
	c.names[FullAWSAccess] = ""
	c.names[RCPFullAWSAccess] = ""
}

func (c *compiler) policy(path string, p *Policy) {
	name := p.Name
	switch {
	case name == "":
		c.add(path, "policy has no name")
		return
	case utf8.RuneCountInString(name) > c.opt.Limits.PolicyNameMax:
		c.add(path+".name", "policy name is %d characters, over the limit of %d", utf8.RuneCountInString(name), c.opt.Limits.PolicyNameMax)
	}
	if prev, dup := c.names[name]; dup {
		if prev == "" {
			c.add(path+".name", "%q is an AWS managed policy; name it in attachments without declaring it", trim(name))
		} else {
			c.add(path+".name", "policy %q is declared twice (first at %s)", trim(name), c.line(prev))
		}
		return
	}
	c.names[name] = path
	t, ok := ParseType(p.Type)
	if !ok {
		c.add(path+".type", "unknown policy type %q (want one of scp, rcp, tag, backup, aiservices_opt_out, chatbot, declarative_ec2)", trim(p.Type))
		return
	}
	if n := utf8.RuneCountInString(p.Description); n > c.opt.Limits.DescriptionMax {
		c.add(path+".description", "description is %d characters, over the limit of %d", n, c.opt.Limits.DescriptionMax)
	}
	sources := 0
	for _, s := range []string{p.File, p.Library, p.Content} {
		if s != "" {
			sources++
		}
	}
	if sources != 1 {
		c.add(path, "policy %q needs exactly one of file, library or content (has %d)", trim(name), sources)
		return
	}
	if len(p.Params) > 0 && p.Library == "" {
		c.add(path+".params", "params apply only to library policies")
	}
	var content []byte
	var source string
	switch {
	case p.File != "":
		fp := p.File
		if !filepath.IsAbs(fp) {
			fp = filepath.Join(c.d.Dir, fp)
		}
		data, err := c.opt.ReadFile(fp)
		if err != nil {
			c.add(path+".file", "cannot read policy file: %v", err)
			return
		}
		if data, err = textenc.UTF8(data); err != nil { // a UTF-8 BOM is dropped; UTF-16 is refused
			c.add(path+".file", "policy file %s: %v", p.File, err)
			return
		}
		if jerr := json.Unmarshal(data, new(any)); jerr != nil {
			c.add(path+".file", "policy file %s is not valid JSON: %s", p.File, textenc.JSONError(data, jerr))
			return
		}
		content, source = data, "file "+p.File
	case p.Library != "":
		lp, ok := scplib.Get(p.Library)
		if !ok {
			c.add(path+".library", "unknown library policy %q (known: %s)", trim(p.Library), strings.Join(scplib.Names(), ", "))
			return
		}
		if PolicyType(lp.Type) != t {
			c.add(path+".type", "library policy %q is a %s, not a %s", p.Library, ShortType(PolicyType(lp.Type)), ShortType(t))
			return
		}
		vals, err := ParamValues(p.Params)
		if err != nil {
			c.add(path+".params", "%v", err)
			return
		}
		out, err := lp.Render(vals)
		if err != nil {
			pp := path + ".params"
			if pe, ok := err.(*scplib.ParamError); ok && pe.Param != "" {
				if _, given := vals[pe.Param]; given {
					pp += "." + pe.Param
				}
			}
			c.add(pp, "%v", err)
			return
		}
		content, source = out, "library "+p.Library
	default:
		content, source = []byte(p.Content), "inline"
	}
	if !json.Valid(content) {
		c.add(pathFor(path, p), "policy %q is not valid JSON", trim(name))
		return
	}
	doc := compactJSON(string(content))
	if !Facts(doc).Valid && (t == SCP || t == RCP) {
		c.add(pathFor(path, p), "policy %q is not a JSON policy document with a Statement", trim(name))
		return
	}
	// AWS counts every character of the document as sent; seiri sends the
	// minified form (Organizations quotas: maximum policy size).
	if n := utf8.RuneCountInString(doc); n > c.opt.Limits.SizeFor(t) {
		c.add(pathFor(path, p), "policy %q is %d characters minified, over the %s limit of %d", trim(name), n, ShortType(t), c.opt.Limits.SizeFor(t))
	}
	if c.opt.Validator != nil {
		c.validate(path, name, p, t, doc, content)
	}
	ps := &PolicyState{Name: name, Type: t, Description: p.Description, Content: doc, Source: source, SpecPath: path}
	c.s.Policies[ps.Key()] = ps
	c.s.policyOrder = append(c.s.policyOrder, ps.Key())
}

// validate runs the Validator. A policy file is validated as written, so
// that each problem names the file, line and column of the statement or
// element at fault; an inline or library policy's problems point at its
// place in the spec.
func (c *compiler) validate(path, name string, p *Policy, t PolicyType, doc string, content []byte) {
	if p.File == "" {
		if err := c.opt.Validator([]byte(doc), ShortType(t)); err != nil {
			c.add(pathFor(path, p), "policy %q: %v", trim(name), err)
		}
		return
	}
	err := c.opt.Validator(content, ShortType(t))
	var is PolicyIssues
	if !errors.As(err, &is) {
		if err != nil {
			c.add(pathFor(path, p), "policy %q: %v", trim(name), err)
		}
		return
	}
	file := p.File
	if !filepath.IsAbs(file) {
		file = filepath.Join(c.d.Dir, file)
	}
	for _, x := range is {
		c.ps = append(c.ps, Problem{File: file, Line: x.Line, Column: x.Column, Path: x.Path, Code: x.Code,
			Message: fmt.Sprintf("policy %q (%s): %s", trim(name), x.Code, x.Message)})
	}
}

func pathFor(path string, p *Policy) string {
	switch {
	case p.File != "":
		return path + ".file"
	case p.Library != "":
		return path + ".library"
	}
	return path + ".content"
}

// node checks one level of the tree (root or OU) and recurses.
func (c *compiler) node(path, ouPath string, policies []string, ous []OU, accounts []Account) {
	c.attachments(path, OUTarget(ouPath), policies)
	seen := map[string]string{}
	for i := range ous {
		ou := &ous[i]
		p := fmt.Sprintf("%s.ous[%d]", path, i)
		n := utf8.RuneCountInString(ou.Name)
		switch {
		case n == 0:
			c.add(p, "OU has no name")
			continue
		case n > c.opt.Limits.OUNameMax:
			c.add(p+".name", "OU name is %d characters, over the limit of %d", n, c.opt.Limits.OUNameMax)
		case strings.Contains(ou.Name, "/"):
			c.add(p+".name", "OU name %q contains \"/\", which seiri uses to separate OU paths", trim(ou.Name))
			continue
		}
		if prev, dup := seen[strings.ToLower(ou.Name)]; dup {
			c.add(p+".name", "duplicate OU name %q under the same parent (first at %s)", trim(ou.Name), c.line(prev))
			continue
		}
		seen[strings.ToLower(ou.Name)] = p + ".name"
		child := ou.Name
		if ouPath != "" {
			child = ouPath + "/" + ou.Name
		}
		// Organizations quotas: OUs nest at most five levels under the root.
		if depth(child) > c.opt.Limits.OUDepth {
			c.add(p+".name", "OU %q is %d levels under the root, over the limit of %d", child, depth(child), c.opt.Limits.OUDepth)
			continue
		}
		c.s.OUs[child] = &OUState{Path: child, Name: ou.Name, SpecPath: p}
		c.s.ouOrder = append(c.s.ouOrder, child)
		c.node(p, child, ou.Policies, ou.OUs, ou.Accounts)
	}
	for i := range accounts {
		c.account(fmt.Sprintf("%s.accounts[%d]", path, i), ouPath, &accounts[i])
	}
}

func (c *compiler) account(path, parent string, a *Account) {
	if a.ID != "" && !reAccountID.MatchString(a.ID) {
		c.add(path+".id", "%q is not a 12-digit account id (quote ids in YAML: id: \"012345678901\")", trim(a.ID))
		return
	}
	if a.ID == "" {
		if a.Name == "" || a.Email == "" {
			c.add(path, "an account needs an id, or a name and an email to be created")
			return
		}
	}
	if a.Name != "" {
		if n := utf8.RuneCountInString(a.Name); n > c.opt.Limits.AccountNameMax || !reAccountName.MatchString(a.Name) {
			c.add(path+".name", "account name %q must be 1–%d printable ASCII characters", trim(a.Name), c.opt.Limits.AccountNameMax)
		}
	}
	if a.Email != "" {
		if n := len(a.Email); n < c.opt.Limits.EmailMin || n > c.opt.Limits.EmailMax || !reEmail.MatchString(a.Email) {
			c.add(path+".email", "email %q must be an address of %d–%d characters", trim(a.Email), c.opt.Limits.EmailMin, c.opt.Limits.EmailMax)
		}
	}
	st := &AccountState{ID: a.ID, Name: a.Name, Email: a.Email, Parent: parent, Tags: a.Tags, SpecPath: path}
	key := st.Key()
	if prev, dup := c.placed[key]; dup {
		what := "account " + a.ID
		if a.ID == "" {
			what = "new account with email " + a.Email
		}
		c.add(path, "%s is placed twice (first at %s)", trim(what), c.line(prev))
		return
	}
	c.placed[key] = path
	c.s.Accounts[key] = st
	c.s.accountOrder = append(c.s.accountOrder, key)
	c.attachments(path, AccountTarget(key), a.Policies)
}

// attachments checks and records the policies attached to one target.
func (c *compiler) attachments(path, target string, names []string) {
	listPath := path + ".policies"
	if names == nil {
		names = []string{FullAWSAccess}
	}
	perType := map[PolicyType]int{}
	dup := map[string]bool{}
	for i, n := range names {
		p := fmt.Sprintf("%s[%d]", listPath, i)
		if n == RCPFullAWSAccess {
			continue // attached everywhere by AWS; nothing to do
		}
		if dup[n] {
			c.add(p, "policy %q attached twice", trim(n))
			continue
		}
		dup[n] = true
		ps := c.byName(n)
		if ps == nil {
			if decl, ok := c.names[n]; ok && decl != "" {
				continue // declared but invalid: already reported
			}
			c.add(p, "unknown policy %q (declare it under policies:)", trim(n))
			continue
		}
		perType[ps.Type]++
		c.s.attach(target, ps.Key())
	}
	for t, n := range perType {
		if n > c.opt.Limits.PerTargetFor(t) {
			c.add(listPath, "%d %s policies attached, over the limit of %d per target", n, ShortType(t), c.opt.Limits.PerTargetFor(t))
		}
	}
	if !c.s.targetAllows(target) {
		if len(names) == 0 {
			c.add(listPath, "no SCP attached: every target needs at least one SCP that allows (FullAWSAccess or a replacement)")
		} else {
			c.add(listPath, "no attached SCP has an Allow statement: everything below would be denied (keep FullAWSAccess or attach a replacement)")
		}
	}
}

func (c *compiler) byName(name string) *PolicyState {
	if c.index == nil || len(c.index) != len(c.s.Policies) {
		c.index = map[string]*PolicyState{}
		for _, ps := range c.s.Policies {
			c.index[ps.Name] = ps
		}
	}
	return c.index[name]
}
