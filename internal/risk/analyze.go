package risk

import (
	"fmt"
	"runtime"
	"slices"
	"strings"
	"sync"

	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/policy"
)

// Options adjust an analysis.
type Options struct {
	// Targets are ARNs of high-value principals (a break-glass role, a
	// deployment role): the analysis also reports who can reach them.
	Targets []string
	// Workers bound the goroutines deciding edges (0: GOMAXPROCS).
	Workers int
}

// Evidence is the statement that allowed one action of a step.
type Evidence struct {
	Action   string `json:"action"`
	Resource string `json:"resource"`
	// Policy names the allowing policy: "user alice inline ci", a managed
	// policy ARN, "trust policy of role X".
	Policy    string `json:"policy,omitempty"`
	Statement int    `json:"statement"` // index in the policy's Statement list; -1 unknown
	Sid       string `json:"sid,omitempty"`
}

// String renders the evidence on one line.
func (e Evidence) String() string {
	s := e.Action + " on " + e.Resource
	if e.Policy != "" {
		s += " allowed by " + e.Policy
		if e.Statement >= 0 {
			s += fmt.Sprintf(" statement %d", e.Statement)
			if e.Sid != "" {
				s += " (" + e.Sid + ")"
			}
		}
	}
	return s
}

// Step is one escalation method used by one principal.
type Step struct {
	From     string     `json:"from"` // the actor's ARN
	To       string     `json:"to"`   // the principal it becomes or changes
	Method   string     `json:"method"`
	Title    string     `json:"title"`
	Via      string     `json:"via,omitempty"` // the group or policy changed, when not the target itself
	Possible bool       `json:"possible,omitempty"`
	Allowed  []Evidence `json:"allowedBy"`
}

// Actions are the actions the step needs.
func (s Step) Actions() []string {
	out := make([]string, len(s.Allowed))
	for i, e := range s.Allowed {
		out[i] = e.Action
	}
	return out
}

// Edge is "From can become To" (To nil: administrator-equivalent access).
// A grant on another principal followed by becoming it is one edge of two
// steps.
type Edge struct {
	To    *Node
	Steps []Step
}

// Possible reports whether a step depends on state outside the snapshot.
func (e Edge) Possible() bool {
	for _, s := range e.Steps {
		if s.Possible {
			return true
		}
	}
	return false
}

// Node is a principal of the graph.
type Node struct {
	P *leastpriv.Principal
	// Admin: the principal already has administrator-equivalent access
	// (every probe of adminProbes allowed on "*").
	Admin         bool
	AdminEvidence []Evidence
	Out           []Edge
}

// Goal names what a path reaches.
const GoalAdmin = "administrator"

// Path is a chain of steps from a principal to a goal.
type Path struct {
	Principal string `json:"principal"`
	Goal      string `json:"goal"` // GoalAdmin or a target ARN
	// Account is where the goal is reached: the account the principal
	// becomes administrator of (or the target's account).
	Account string `json:"account"`
	// Possible: some step depends on resources the snapshot does not
	// describe (existing functions, instances, old policy versions).
	Possible bool   `json:"possible,omitempty"`
	Steps    []Step `json:"steps"`
}

// Analysis is the escalation graph of a snapshot.
type Analysis struct {
	Model *leastpriv.Model
	Nodes []*Node
	// Targets are the high-value ARNs the analysis was asked about and found.
	Targets []string
	// Unknown are the requested targets that name no principal.
	Unknown []string
	// Problems are the principals with policies that could not be read:
	// their paths may be missing.
	Problems []string

	byARN    map[string]*Node
	toAdmin  [2]map[*Node]*Edge // [proven, possible]: the first edge of the shortest path
	adminAt  [2]map[*Node]int
	toTarget map[string][2]map[*Node]*Edge
}

// adminProbes decide administrator-equivalent access: one action of many
// services, each allowed on "*" (the same idea as audit's broad probes).
var adminProbes = []string{
	"iam:CreateUser", "iam:AttachRolePolicy", "ec2:RunInstances", "s3:DeleteBucket",
	"kms:ScheduleKeyDeletion", "cloudtrail:StopLogging", "organizations:LeaveOrganization",
	"lambda:CreateFunction", "dynamodb:DeleteTable", "rds:DeleteDBInstance",
}

var allowAll = policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, policy.TypeIdentity)

// AnalyzeModel builds the escalation graph over an existing model (shared
// with unused and policy generate).
func AnalyzeModel(m *leastpriv.Model, opts Options) *Analysis {
	an := &Analysis{Model: m, byARN: map[string]*Node{}, toTarget: map[string][2]map[*Node]*Edge{}}
	for _, p := range m.Principals {
		n := &Node{P: p}
		an.Nodes = append(an.Nodes, n)
		an.byARN[p.ARN] = n
		if len(p.Problems) > 0 {
			an.Problems = append(an.Problems, p.ARN+": "+strings.Join(p.Problems, "; "))
		}
	}
	b := newBuilder(an)
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	var wg sync.WaitGroup
	next := make(chan *Node)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				n.Admin, n.AdminEvidence = b.isAdmin(n.P)
			}
		}()
	}
	for _, n := range an.Nodes {
		next <- n
	}
	close(next)
	wg.Wait()
	next = make(chan *Node)
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for n := range next {
				b.edges(n)
			}
		}()
	}
	for _, n := range an.Nodes {
		if !n.P.ServiceLinked && !n.Admin {
			next <- n
		}
	}
	close(next)
	wg.Wait()

	for i := 0; i < 2; i++ {
		an.toAdmin[i], an.adminAt[i] = an.shortest(nil, i == 1)
	}
	for _, t := range opts.Targets {
		tn := an.byARN[t]
		if tn == nil {
			tn = an.lookup(t)
		}
		if tn == nil {
			an.Unknown = append(an.Unknown, t)
			continue
		}
		var two [2]map[*Node]*Edge
		two[0], _ = an.shortest(tn, false)
		two[1], _ = an.shortest(tn, true)
		an.toTarget[tn.P.ARN] = two
		an.Targets = append(an.Targets, tn.P.ARN)
	}
	return an
}

func (an *Analysis) lookup(arn string) *Node {
	if p := an.Model.Lookup(arn); p != nil {
		return an.byARN[p.ARN]
	}
	return nil
}

// shortest runs a breadth-first search backwards from the goal (target nil:
// administrator) and returns, for every node that reaches it, the first
// edge of a shortest path. possible admits steps that are only possible.
func (an *Analysis) shortest(target *Node, possible bool) (map[*Node]*Edge, map[*Node]int) {
	rev := map[*Node][]struct {
		from *Node
		e    *Edge
	}{}
	first := map[*Node]*Edge{}
	dist := map[*Node]int{}
	var frontier []*Node
	if target != nil {
		dist[target] = 0
		frontier = append(frontier, target)
	}
	for _, n := range an.Nodes {
		if target == nil && n.Admin {
			dist[n] = 0
			frontier = append(frontier, n)
		}
	}
	var direct []*Node // nodes with an edge straight to administrator
	for _, n := range an.Nodes {
		for i := range n.Out {
			e := &n.Out[i]
			if !possible && e.Possible() {
				continue
			}
			if e.To == nil {
				if target == nil {
					if _, seen := first[n]; !seen && !n.Admin {
						first[n] = e
						direct = append(direct, n)
					}
				}
				continue
			}
			rev[e.To] = append(rev[e.To], struct {
				from *Node
				e    *Edge
			}{n, e})
		}
	}
	for d := 1; len(frontier) > 0 || len(direct) > 0; d++ {
		var nextLevel []*Node
		if d == 1 {
			for _, n := range direct {
				if _, ok := dist[n]; !ok {
					dist[n] = 1
					nextLevel = append(nextLevel, n)
				}
			}
			direct = nil
		}
		for _, x := range frontier {
			for _, in := range rev[x] {
				if _, ok := dist[in.from]; ok {
					continue
				}
				dist[in.from] = d
				first[in.from] = in.e
				nextLevel = append(nextLevel, in.from)
			}
		}
		frontier = nextLevel
	}
	// Drop the direct-edge entries that a shorter route replaced (none can:
	// a direct edge is distance 1) and the goal itself.
	if target != nil {
		delete(first, target)
	}
	for n := range first {
		if n.Admin && target == nil {
			delete(first, n)
		}
	}
	return first, dist
}

// Node returns the node of a principal ARN (a role ARN without its path or
// an assumed-role session ARN finds the role).
func (an *Analysis) Node(arn string) *Node {
	if n := an.byARN[arn]; n != nil {
		return n
	}
	return an.lookup(arn)
}

// PathsOf returns the principal's shortest path to administrator (proven if
// there is one, else possible) and to each target, for `seiri risk paths`.
// A principal that already is administrator has no path; see Node.Admin.
func (an *Analysis) PathsOf(arn string) ([]Path, error) {
	n := an.Node(arn)
	if n == nil {
		return nil, fmt.Errorf("principal %q is not in the snapshot", arn)
	}
	var out []Path
	if p, ok := an.follow(n, nil, an.toAdmin); ok {
		out = append(out, p)
	}
	for _, t := range an.Targets {
		if p, ok := an.follow(n, an.byARN[t], an.toTarget[t]); ok {
			out = append(out, p)
		}
	}
	return out, nil
}

// AdminPaths returns every principal's shortest path to administrator, in
// principal order.
func (an *Analysis) AdminPaths() []Path {
	var out []Path
	for _, n := range an.Nodes {
		if p, ok := an.follow(n, nil, an.toAdmin); ok {
			out = append(out, p)
		}
	}
	return out
}

// TargetPaths returns every principal's shortest path to each target.
func (an *Analysis) TargetPaths() []Path {
	var out []Path
	for _, t := range an.Targets {
		for _, n := range an.Nodes {
			if p, ok := an.follow(n, an.byARN[t], an.toTarget[t]); ok {
				out = append(out, p)
			}
		}
	}
	return out
}

func (an *Analysis) follow(n, target *Node, first [2]map[*Node]*Edge) (Path, bool) {
	goal := GoalAdmin
	if target != nil {
		goal = target.P.ARN
	}
	if n == target || n.P.ServiceLinked {
		return Path{}, false
	}
	for i := 0; i < 2; i++ {
		e := first[i][n]
		if e == nil {
			continue
		}
		p := Path{Principal: n.P.ARN, Goal: goal, Possible: i == 1}
		seen := map[*Node]bool{n: true}
		cur := n
		for e != nil {
			p.Steps = append(p.Steps, e.Steps...)
			if e.To == nil {
				p.Account = cur.P.Account // cur makes itself (or a principal of its account) administrator
				return p, true
			}
			if e.To == target || (target == nil && e.To.Admin) {
				p.Account = e.To.P.Account
				return p, true
			}
			if seen[e.To] {
				break // cannot happen with BFS parents; guard bad data
			}
			seen[e.To] = true
			cur = e.To
			e = first[i][e.To]
		}
	}
	return Path{}, false
}

// OpeningActions returns the actions of the principal's own steps (every
// step it takes itself on an edge that leads to administrator or to a
// target): the permissions to remove first. Sorted, as the catalogue
// spells them.
func (an *Analysis) OpeningActions(arn string) []string {
	n := an.Node(arn)
	if n == nil {
		return nil
	}
	set := map[string]bool{}
	for i := range n.Out {
		e := &n.Out[i]
		if !an.leads(e) {
			continue
		}
		for _, s := range e.Steps {
			if s.From != n.P.ARN {
				continue
			}
			for _, a := range s.Actions() {
				set[a] = true
			}
		}
	}
	out := make([]string, 0, len(set))
	for a := range set {
		out = append(out, a)
	}
	slices.Sort(out)
	return out
}

// leads reports whether an edge reaches administrator or a target.
func (an *Analysis) leads(e *Edge) bool {
	if e.To == nil || e.To.Admin {
		return true
	}
	if _, ok := an.adminAt[1][e.To]; ok {
		return true
	}
	for _, t := range an.Targets {
		if e.To.P.ARN == t {
			return true
		}
		if _, ok := an.toTarget[t][1][e.To]; ok {
			return true
		}
	}
	return false
}

// Steps returns every escalation method the principal can perform (each
// edge's steps), for the report of one principal.
func (an *Analysis) Steps(arn string) []Step {
	n := an.Node(arn)
	if n == nil {
		return nil
	}
	var out []Step
	for _, e := range n.Out {
		out = append(out, e.Steps...)
	}
	return out
}
