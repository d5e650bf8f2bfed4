package leastpriv

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/policy/wildcard"
)

// ManagedPolicyMaxChars is the size limit of a managed policy, whitespace not
// counted (IAM User Guide, "IAM and AWS STS quotas": managed policy size).
const ManagedPolicyMaxChars = 6144

// ErrNoUsage is returned by Generate for a principal without observed calls.
var ErrNoUsage = errors.New("nothing to generate")

// GeneralizeAt is the number of distinct resources of one action under one
// account, region and resource type above which they become "prefix*".
const GeneralizeAt = 10

// passRoleActions are actions that pass a role to a service and so need
// iam:PassRole on it (IAM User Guide, "Granting a user permissions to pass a
// role to an AWS service"; the catalog lists no dependent actions for them).
var passRoleActions = map[string]bool{
	"ec2:runinstances": true, "ec2:associateiaminstanceprofile": true, "ec2:replaceiaminstanceprofileassociation": true,
	"ecs:registertaskdefinition": true, "ecs:runtask": true, "ecs:starttask": true, "ecs:createservice": true, "ecs:updateservice": true,
	"lambda:createfunction": true, "lambda:updatefunctionconfiguration": true,
	"cloudformation:createstack": true, "cloudformation:updatestack": true, "cloudformation:createchangeset": true,
	"glue:createjob": true, "glue:updatejob": true, "glue:createcrawler": true, "glue:createdevendpoint": true,
	"states:createstatemachine": true, "states:updatestatemachine": true,
	"codebuild:createproject": true, "codebuild:updateproject": true,
	"elasticmapreduce:runjobflow": true, "events:puttargets": true, "sagemaker:createtrainingjob": true,
	"sagemaker:createnotebookinstance": true, "batch:createcomputeenvironment": true, "batch:registerjobdefinition": true,
	"datasync:createtask": true, "iot:createtopicrule": true, "scheduler:createschedule": true, "scheduler:updateschedule": true,
}

// Statement is a generated policy statement.
type Statement struct {
	Sid      string   `json:"Sid"`
	Effect   string   `json:"Effect"`
	Action   []string `json:"Action"`
	Resource []string `json:"Resource"`
}

// Document is a generated policy document.
type Document struct {
	Version   string      `json:"Version"`
	Statement []Statement `json:"Statement"`
}

// Generated is a least-privilege policy set for one principal, with its proof.
type Generated struct {
	Principal string     `json:"principal"`
	Name      string     `json:"name"`
	Window    string     `json:"window"`
	Policies  []Document `json:"policies"`
	// Sizes are the non-whitespace character counts of the policies.
	Sizes []int `json:"sizes"`
	// Notes are things a reviewer must look at (iam:PassRole kept,
	// resources not in the logs, splitting).
	Notes []string `json:"notes,omitempty"`
	// Issues are `policy validate` findings (errors make Generate fail).
	Issues []policy.Issue `json:"issues,omitempty"`
	Proof  Proof          `json:"proof"`
	// Removed is what the generated policies drop compared with today's
	// effective permissions, by service and access level.
	Removed []Removed `json:"removed"`
	Kept    int       `json:"keptActions"`
	Granted int       `json:"grantedActions"`
}

// Proof is the replay of every observed call through the policy engine.
type Proof struct {
	Covered   int    `json:"covered"`
	Total     int    `json:"total"`
	Uncovered []Call `json:"uncovered,omitempty"`
	// Undetermined are calls on KMS keys the generated policies allow on
	// the identity side but whose key policy seiri has not collected: the
	// key policy decides (KeyPolicyNotCollected). Covered + Uncovered +
	// Undetermined = Total.
	Undetermined []Call `json:"undetermined,omitempty"`
}

// String is "covers N/N observed calls", with the undetermined ones named.
func (p Proof) String() string {
	s := fmt.Sprintf("covers %d/%d observed calls", p.Covered, p.Total)
	if n := len(p.Undetermined); n > 0 {
		s += fmt.Sprintf("; %d %s on KMS keys %s", n, plural(n, "call", "calls"), KeyPolicyNotCollected)
	}
	return s
}

// Removed counts dropped actions of one service at one access level.
type Removed struct {
	Service string              `json:"service"`
	Access  catalog.AccessLevel `json:"access"`
	Count   int                 `json:"count"`
	Actions []string            `json:"actions"`
}

// GenerateOptions tune Generate.
type GenerateOptions struct {
	MaxChars int    // per policy; 0: ManagedPolicyMaxChars
	Name     string // base policy name; "": <principal name>-least-privilege
}

// Generate builds least-privilege policies for p from its observed
// successful calls in the window, validates them, and proves them by
// replaying every call through the policy engine.
func (an *Analysis) Generate(p *Principal, opt GenerateOptions) (*Generated, error) {
	m := an.Model
	if opt.MaxChars <= 0 {
		opt.MaxChars = ManagedPolicyMaxChars
	}
	if opt.Name == "" {
		opt.Name = p.Name + "-least-privilege"
	}
	g := &Generated{Principal: p.ARN, Name: opt.Name, Window: an.Usage.Window.String()}
	grants := m.Granted(p)
	g.Granted = len(grants.List)
	var calls []Call
	if us := an.Usage.By[p]; us != nil {
		calls = us.Calls
	}
	if len(calls) == 0 {
		return g, fmt.Errorf("%w: %s made no successful call in the window (%s); consider removing its permissions", ErrNoUsage, p.ARN, g.Window)
	}
	res, canon := g.observedResources(m, p, grants, calls)
	g.keepPassRole(res, grants, p)
	g.Notes = append(g.Notes, addDependents(res, m.Catalog, func(action string) ([]string, bool) {
		gr, ok := grants.Get(action)
		if !ok {
			return nil, false
		}
		return gr.Resources, true
	}, partitionOf(p.ARN), p.Account)...)
	docs, err := pack(statements(res), opt.MaxChars)
	if err != nil {
		return g, err
	}
	g.Policies = docs
	if len(docs) > 1 {
		g.Notes = append(g.Notes, fmt.Sprintf("split into %d policies to stay under %d characters each (whitespace excluded)", len(docs), opt.MaxChars))
	}
	compiled, err := g.validate(m.Catalog)
	if err != nil {
		return g, err
	}
	g.prove(m, p, calls, canon, res, compiled)
	g.countRemoved(grants, res)
	return g, nil
}

// observedResources maps every called action (canonical name) to the
// resources to allow it on: those the calls recorded (fitted to the
// action's resource types), else those today's policies allow it on, else
// its resource types in the call's account. canon maps a lower-cased
// action to its canonical name. Widened and unrecorded resources are noted.
func (g *Generated) observedResources(m *Model, p *Principal, grants *Grants, calls []Call) (res map[string]map[string]bool, canon map[string]string) {
	res = map[string]map[string]bool{}
	canon = map[string]string{}
	var noResource, widened []string
	for _, c := range calls {
		name := c.Action
		a, known := m.Catalog.Action(c.Action)
		if known {
			name = a.FullName()
		}
		canon[strings.ToLower(c.Action)] = name
		set := res[name]
		if set == nil {
			set = map[string]bool{}
			res[name] = set
		}
		switch {
		case known && !a.SupportsResourceLevel():
			set["*"] = true
		case c.Resource != "":
			r := c.Resource
			if known {
				if fit, ok := fitResource(a, r); ok {
					if fit != r {
						widened = append(widened, name+" on "+fit)
					}
					r = fit
				} else {
					// The recorded resource is no resource type of the
					// action: keep today's grant for it (never wider).
					r = ""
				}
			}
			if r != "" {
				set[r] = true
				break
			}
			fallthrough
		default:
			// The event named no resource: fall back to the resources
			// today's policies allow the action on (never wider); "*" is
			// narrowed to the action's resource types in the call's
			// account (catalog ARN formats, other fields wildcarded).
			gr, granted := grants.Get(name)
			switch {
			case granted && !slices.Contains(gr.Resources, "*"):
				for _, r := range gr.Resources {
					set[r] = true
				}
			case known:
				for _, r := range typePatterns(a, partitionOf(p.ARN), c.Account) {
					set[r] = true
				}
			default:
				set["*"] = true
			}
			noResource = append(noResource, name)
		}
	}
	slices.Sort(noResource)
	noResource = slices.Compact(noResource)
	slices.Sort(widened)
	widened = slices.Compact(widened)
	if len(widened) > 0 {
		g.Notes = append(g.Notes, "recorded resources widened to match the actions' resource types: "+strings.Join(widened, ", "))
	}
	if len(noResource) > 0 {
		g.Notes = append(g.Notes, "resources not recorded in CloudTrail for "+strings.Join(noResource, ", ")+": kept on the resources today's policies allow, or on their resource types in the call's account")
	}
	return res, canon
}

// keepPassRole keeps iam:PassRole when it is granted today and an action
// that passes a role was used (CloudTrail does not log PassRole), noted for
// review.
func (g *Generated) keepPassRole(res map[string]map[string]bool, grants *Grants, p *Principal) {
	gr, ok := grants.Get("iam:PassRole")
	if !ok {
		return
	}
	var passers []string
	for name := range res {
		if passRoleActions[strings.ToLower(name)] {
			passers = append(passers, name)
		}
	}
	if len(passers) == 0 {
		return
	}
	slices.Sort(passers)
	set := map[string]bool{}
	for _, r := range gr.Resources {
		if r == "*" {
			r = "arn:aws:iam::" + p.Account + ":role/*"
		}
		set[r] = true
	}
	res["iam:PassRole"] = set
	g.Notes = append(g.Notes, fmt.Sprintf("REVIEW: iam:PassRole kept on %s because %s pass roles (CloudTrail does not log PassRole: narrow it to the roles really passed)",
		strings.Join(sortedKeys(set), ", "), strings.Join(passers, ", ")))
}

// statements generalizes each action's resources and groups the actions by
// service and identical resource sets, one statement each, in service and
// action order.
func statements(res map[string]map[string]bool) []Statement {
	type group struct {
		svc     string
		res     []string
		actions []string
	}
	groups := map[string]*group{}
	for name, set := range res {
		rs := generalize(sortedKeys(set))
		svc, _, _ := strings.Cut(name, ":")
		k := svc + "\x00" + strings.Join(rs, "\x00")
		gr := groups[k]
		if gr == nil {
			gr = &group{svc: svc, res: rs}
			groups[k] = gr
		}
		gr.actions = append(gr.actions, name)
	}
	var list []*group
	for _, gr := range groups {
		slices.Sort(gr.actions)
		list = append(list, gr)
	}
	slices.SortFunc(list, func(a, b *group) int {
		if c := strings.Compare(a.svc, b.svc); c != 0 {
			return c
		}
		return strings.Compare(a.actions[0], b.actions[0])
	})
	var stmts []Statement
	perSvc := map[string]int{}
	for _, gr := range list {
		perSvc[gr.svc]++
		sid := sidOf(gr.svc, perSvc[gr.svc])
		if len(gr.actions) == 1 && gr.actions[0] == "iam:PassRole" {
			sid = "ReviewPassRole"
		}
		stmts = append(stmts, Statement{Sid: sid, Effect: "Allow", Action: gr.actions, Resource: gr.res})
	}
	return stmts
}

// validate sizes, validates and compiles the generated policies; a
// validation error fails the generation.
func (g *Generated) validate(cat *catalog.Catalog) ([]*policy.Policy, error) {
	var compiled []*policy.Policy
	for i, d := range g.Policies {
		b, _ := json.Marshal(d)
		g.Sizes = append(g.Sizes, nonSpace(b))
		for _, is := range policy.Validate(b, policy.TypeIdentity, cat) {
			g.Issues = append(g.Issues, is)
		}
		pol, err := policy.Parse(b, policy.TypeIdentity)
		if err != nil {
			return nil, fmt.Errorf("generated policy %d does not parse: %v", i+1, err)
		}
		compiled = append(compiled, pol)
	}
	for _, is := range g.Issues {
		if is.Severity == policy.SevError {
			return nil, fmt.Errorf("generated policy fails validation: %s %s: %s", is.Code, is.Path, is.Message)
		}
	}
	return compiled, nil
}

// prove replays every observed call with the generated policies as the
// only identity policies (the identity side of the request: resource
// policies are taken as delegating to IAM, see Model.delegating). A call on
// a KMS key is decided by its key policy too (kms.go).
func (g *Generated) prove(m *Model, p *Principal, calls []Call, canon map[string]string, res map[string]map[string]bool, compiled []*policy.Policy) {
	pols := &policy.Policies{Identity: compiled, Resource: p.delegate}
	identity := policy.Policies{Identity: compiled}
	req := policy.Request{Principal: p.ARN, ResourceAccount: p.Account}
	policy.DeriveContext(&req.Context, policy.PrincipalFacts{ARN: p.ARN}, m.now())
	for _, c := range calls {
		g.Proof.Total++
		req.Action = canon[strings.ToLower(c.Action)]
		act, _ := m.Catalog.Action(req.Action)
		probes := []string{c.Resource}
		if c.Resource == "" {
			// No resource in the event: the call is covered when the
			// policy allows the action on the resources it names for it.
			probes = sortedKeys(res[req.Action])
		}
		ok, und := false, false
		for _, r := range probes {
			req.Resource = r
			if policy.Evaluate(&req, pols, nil).Decision != policy.AllowDecision {
				continue
			}
			if !onKey(act, r) {
				ok = true
				break
			}
			switch m.keys.decideOnKeys(req, identity, nil, nil, p.Account) {
			case keyAllows:
				ok = true
			case keyUndetermined:
				und = true
			}
			if ok {
				break
			}
		}
		switch {
		case ok:
			g.Proof.Covered++
		case und:
			g.Proof.Undetermined = append(g.Proof.Undetermined, c)
		default:
			g.Proof.Uncovered = append(g.Proof.Uncovered, c)
		}
	}
}

// countRemoved counts what the generated policies drop compared with
// today's grants, by service and access level (highest risk first), and
// what they keep.
func (g *Generated) countRemoved(grants *Grants, res map[string]map[string]bool) {
	kept := map[string]bool{}
	for name := range res {
		kept[strings.ToLower(name)] = true
	}
	byKey := map[string]*Removed{}
	for _, gr := range grants.List {
		if kept[strings.ToLower(gr.Action.FullName())] {
			g.Kept++
			continue
		}
		svc := gr.Action.Service.Prefix
		k := svc + "\x00" + gr.Action.Access.String()
		r := byKey[k]
		if r == nil {
			r = &Removed{Service: svc, Access: gr.Action.Access}
			byKey[k] = r
		}
		r.Count++
		r.Actions = append(r.Actions, gr.Action.FullName())
	}
	for _, r := range byKey {
		g.Removed = append(g.Removed, *r)
	}
	slices.SortFunc(g.Removed, func(a, b Removed) int {
		if c := cmp.Compare(b.Access.Rank(), a.Access.Rank()); c != 0 {
			return c
		}
		return strings.Compare(a.Service, b.Service)
	})
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// sidOf builds a statement id from a service prefix (Sids are alphanumeric).
func sidOf(svc string, n int) string {
	var b strings.Builder
	up := true
	for _, r := range svc {
		if r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' {
			if up && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			b.WriteRune(r)
			up = false
		} else {
			up = true
		}
	}
	if n > 1 {
		fmt.Fprintf(&b, "%d", n)
	}
	return b.String()
}

// generalize collapses many resources that share account, region and
// resource type into their longest common prefix followed by "*". Account
// and region stay exact; "*" stays alone.
func generalize(rs []string) []string {
	if slices.Contains(rs, "*") {
		return []string{"*"}
	}
	if len(rs) <= GeneralizeAt {
		return rs
	}
	// group by the ARN head arn:p:svc:region:account: + resource type
	groups := map[string][]string{}
	var order []string
	for _, r := range rs {
		k := arnHead(r)
		if _, ok := groups[k]; !ok {
			order = append(order, k)
		}
		groups[k] = append(groups[k], r)
	}
	var out []string
	for _, k := range order {
		g := groups[k]
		if len(g) <= GeneralizeAt || k == "" {
			out = append(out, g...)
			continue
		}
		pre := g[0]
		for _, r := range g[1:] {
			n := 0
			for n < len(pre) && n < len(r) && pre[n] == r[n] {
				n++
			}
			pre = pre[:n]
		}
		if len(pre) < len(k) {
			out = append(out, g...)
			continue
		}
		pre = strings.TrimRight(pre, "*")
		out = append(out, pre+"*")
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// arnHead is "arn:p:svc:region:account:" plus the resource type (up to the
// first '/' or ':' of the resource part), or "" for non-ARNs.
func arnHead(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	head := len(arn) - len(parts[5])
	rest := parts[5]
	if i := strings.IndexAny(rest, "/:"); i >= 0 {
		return arn[:head+i+1]
	}
	if parts[2] == "s3" {
		return "" // a bucket name alone: keep buckets as they are
	}
	return arn[:head]
}

// nonSpace counts the characters that are not whitespace.
func nonSpace(b []byte) int {
	n := 0
	for _, r := range string(b) {
		if r != ' ' && r != '\t' && r != '\n' && r != '\r' {
			n++
		}
	}
	return n
}

// pack distributes statements over documents of at most max non-whitespace
// characters, splitting a statement that alone is too big by resources,
// then by actions.
func pack(stmts []Statement, max int) ([]Document, error) {
	var docs []Document
	cur := Document{Version: policy.Version2012}
	size := func(d Document) int {
		b, _ := json.Marshal(d)
		return nonSpace(b)
	}
	var queue []Statement
	queue = append(queue, stmts...)
	for len(queue) > 0 {
		st := queue[0]
		queue = queue[1:]
		if size(Document{Version: policy.Version2012, Statement: []Statement{st}}) > max {
			a, b, ok := splitStatement(st)
			if !ok {
				return nil, fmt.Errorf("statement %s alone exceeds %d characters", st.Sid, max)
			}
			queue = append([]Statement{a, b}, queue...)
			continue
		}
		next := cur
		next.Statement = append(slices.Clip(cur.Statement), st)
		if size(next) > max {
			docs = append(docs, cur)
			cur = Document{Version: policy.Version2012, Statement: []Statement{st}}
			continue
		}
		cur = next
	}
	if len(cur.Statement) > 0 {
		docs = append(docs, cur)
	}
	// Sids must be unique within a policy; splitting may have repeated one.
	for i := range docs {
		seen := map[string]int{}
		for j := range docs[i].Statement {
			s := &docs[i].Statement[j]
			seen[s.Sid]++
			if n := seen[s.Sid]; n > 1 {
				s.Sid = fmt.Sprintf("%sPart%d", s.Sid, n)
			}
		}
	}
	return docs, nil
}

func splitStatement(st Statement) (Statement, Statement, bool) {
	switch {
	case len(st.Resource) > 1:
		h := len(st.Resource) / 2
		a, b := st, st
		a.Resource, b.Resource = st.Resource[:h:h], st.Resource[h:]
		return a, b, true
	case len(st.Action) > 1:
		h := len(st.Action) / 2
		a, b := st, st
		a.Action, b.Action = st.Action[:h:h], st.Action[h:]
		return a, b, true
	}
	return st, st, false
}

// JSON renders a document as indented JSON.
func (d Document) JSON() []byte {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	_ = enc.Encode(d)
	return buf.Bytes()
}

// fitResource returns a resource pattern for action a that matches one of
// its resource types (catalog) and still matches the recorded resource r:
// r itself, or r followed by ":*", "/*" or "*" (a log group recorded for
// logs:PutLogEvents, whose resource is a log stream in the group).
func fitResource(a *catalog.Action, r string) (string, bool) {
	if len(a.ResourceTypesMatching(r)) > 0 {
		return r, true
	}
	for _, suffix := range []string{":*", "/*", "*"} {
		p := r + suffix
		if wildcard.Match(p, r) && len(a.ResourceTypesMatching(p)) > 0 {
			return p, true
		}
	}
	return "", false
}

// typePatterns are ARN patterns of the action's resource types (the
// required ones, else all) with the partition and account filled and every
// other placeholder a wildcard.
func typePatterns(a *catalog.Action, partition, account string) []string {
	var types []*catalog.ResourceType
	for _, r := range a.Resources {
		if r.Required {
			types = append(types, r.Type)
		}
	}
	if len(types) == 0 {
		for _, r := range a.Resources {
			types = append(types, r.Type)
		}
	}
	var out []string
	for _, t := range types {
		for _, f := range t.ARNFormats {
			out = append(out, fillFormat(f, partition, account))
		}
	}
	if len(out) == 0 {
		return []string{"*"}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

func fillFormat(f, partition, account string) string {
	var b strings.Builder
	for {
		i := strings.Index(f, "${")
		if i < 0 {
			b.WriteString(f)
			break
		}
		j := strings.IndexByte(f[i:], '}')
		if j < 0 {
			b.WriteString(f)
			break
		}
		b.WriteString(f[:i])
		switch f[i+2 : i+j] {
		case "Partition":
			b.WriteString(partition)
		case "Account", "AccountId":
			if account != "" {
				b.WriteString(account)
			} else {
				b.WriteByte('*')
			}
		default:
			b.WriteByte('*')
		}
		f = f[i+j+1:]
	}
	// Adjacent wildcards say nothing more than one.
	out := b.String()
	for strings.Contains(out, "**") {
		out = strings.ReplaceAll(out, "**", "*")
	}
	return out
}

// partitionOf is the partition of an ARN ("aws" when unknown).
func partitionOf(arn string) string {
	parts := strings.SplitN(arn, ":", 3)
	if len(parts) == 3 && parts[0] == "arn" && parts[1] != "" {
		return parts[1]
	}
	return "aws"
}
