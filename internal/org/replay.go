package org

import (
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/usage"
)

// Impact replay: before an SCP or RCP reaches an account, run that
// account's recorded activity through the policy chain root → OUs → account
// as it is and as it would be, and show what the change newly denies.
//
// Only the organization's policies are compared: identity and resource
// policies are taken as allowing everything, so a difference is caused by
// the change alone. The policy engine honours what SCPs never affect (the
// management account, service-linked roles; Organizations User Guide,
// "Tasks and entities not restricted by SCPs") and which services RCPs
// govern.

// ReplayOptions tune Replay.
type ReplayOptions struct {
	// OrgID is the organization id (aws:PrincipalOrgID in conditions).
	OrgID string
	// Now is the time given to conditions (aws:CurrentTime).
	Now time.Time
	// Top is how many denied (principal, action, region) groups to keep
	// (default 10).
	Top int
	// RCPServices decides which services RCPs govern: the catalog in force
	// (a catalog refreshed by seiri catalog update); nil is the engine's
	// embedded list.
	RCPServices policy.RCPServices
}

// Denial is one group of recorded calls a change newly denies.
type Denial struct {
	Account   string `json:"account"`
	Principal string `json:"principal"`
	Action    string `json:"action"`
	Region    string `json:"region,omitempty"`
	Calls     int64  `json:"calls"`
	// By names the policy that denies (type, name) when one statement did,
	// or the level left without an allow.
	By string `json:"by,omitempty"`
}

// Impact is what a change does to recorded activity.
type Impact struct {
	// Accounts whose policy chain changes.
	AffectedAccounts []string `json:"affectedAccounts"`
	// Replayed is how many recorded calls (sum of row counts) of those
	// accounts were replayed; Rows the number of usage rows.
	Replayed int64 `json:"replayed"`
	Rows     int   `json:"rows"`
	// NewlyDenied sums the calls allowed before and denied after, by how
	// many distinct principals and accounts; Top lists the largest groups.
	NewlyDenied      int64    `json:"newlyDenied"`
	DeniedPrincipals int      `json:"deniedPrincipals"`
	DeniedAccounts   int      `json:"deniedAccounts"`
	Top              []Denial `json:"top,omitempty"`
	// Window names the usage window replayed (set by the caller that read
	// the rows), e.g. "the last 30 days (since 2026-10-29)".
	Window string `json:"window,omitempty"`
	// NewlyAllowed sums calls that were denied (recorded with an error) and
	// the new chain no longer denies by an SCP.
	NewlyAllowed int64 `json:"newlyAllowed"`
	// NoRegion counts replayed calls recorded without a region: conditions
	// on aws:RequestedRegion cannot be judged for them (they are evaluated
	// with the key absent).
	NoRegion int64 `json:"noRegion,omitempty"`
	// Denied is every group (for --output json), largest first.
	Denied []Denial `json:"denied,omitempty"`
}

// Empty reports whether the change denies nothing that was used.
func (im *Impact) Empty() bool { return im.NewlyDenied == 0 }

// Summary is the one-line form: "would newly deny 1,234 calls by 7
// principals in 3 accounts (top: ci-deployer ec2:RunInstances in eu-west-3 ×412)".
func (im *Impact) Summary() string {
	if len(im.AffectedAccounts) == 0 {
		return "no account's policy chain changes"
	}
	if im.NewlyDenied == 0 {
		s := fmt.Sprintf("would newly deny nothing: %s recorded calls in %d account(s) replayed", thousands(im.Replayed), len(im.AffectedAccounts))
		if im.Rows == 0 {
			s = fmt.Sprintf("no recorded activity in the %d affected account(s) to replay", len(im.AffectedAccounts))
		}
		return s
	}
	s := fmt.Sprintf("would newly deny %s calls by %d principal(s) in %d account(s)", thousands(im.NewlyDenied), im.DeniedPrincipals, im.DeniedAccounts)
	if len(im.Top) > 0 {
		t := im.Top[0]
		s += fmt.Sprintf(" (top: %s %s", shortPrincipal(t.Principal), t.Action)
		if t.Region != "" {
			s += " in " + t.Region
		}
		s += fmt.Sprintf(" ×%s)", thousands(t.Calls))
	}
	return s
}

// Write prints the summary and the top groups.
func (im *Impact) Write(w io.Writer, indent string) {
	window := ""
	if im.Window != "" && len(im.AffectedAccounts) > 0 {
		window = "; usage of " + im.Window
	}
	fmt.Fprintf(w, "%simpact: %s%s\n", indent, im.Summary(), window)
	for _, d := range im.Top {
		region := d.Region
		if region == "" {
			region = "(no region)"
		}
		fmt.Fprintf(w, "%s  ✗ %s %s %s %s ×%s", indent, d.Account, shortPrincipal(d.Principal), d.Action, region, thousands(d.Calls))
		if d.By != "" {
			fmt.Fprintf(w, "  [%s]", d.By)
		}
		fmt.Fprintln(w)
	}
	if im.NoRegion > 0 {
		fmt.Fprintf(w, "%s  note: %s replayed calls carry no region (usage scanned before regions were recorded); region conditions are judged without aws:RequestedRegion for them\n", indent, thousands(im.NoRegion))
	}
}

func shortPrincipal(p string) string {
	if i := strings.LastIndexByte(p, '/'); i >= 0 && strings.HasPrefix(p, "arn:") {
		return p[i+1:]
	}
	return p
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return s
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// chainDocs are the policies of one account's chain: one slice per level,
// root first, for a policy type.
type chainDocs struct {
	levels [][]*PolicyState
}

func (s *State) chainOf(accountID string, t PolicyType) (chainDocs, bool) {
	a := s.Accounts[accountID]
	if a == nil {
		return chainDocs{}, false
	}
	var c chainDocs
	for _, target := range s.chain(a) {
		var lvl []*PolicyState
		for _, k := range SortedKeys(s.Attachments[target]) {
			if p := s.Policies[k]; p != nil && p.Type == t {
				lvl = append(lvl, p)
			}
		}
		c.levels = append(c.levels, lvl)
	}
	return c, true
}

func (c chainDocs) signature() string {
	var b strings.Builder
	for _, lvl := range c.levels {
		b.WriteString("|")
		for _, p := range lvl {
			b.WriteString(p.Name)
			b.WriteString("\x00")
			b.WriteString(compactJSON(p.Content))
			b.WriteString("\x00")
		}
	}
	return b.String()
}

// AffectedAccounts lists the existing accounts whose SCP or RCP chain
// differs between two states (a policy changed, attached or detached along
// it, or the account moved), sorted.
func AffectedAccounts(before, after *State) []string {
	var out []string
	for _, id := range SortedKeys(after.Accounts) {
		a := after.Accounts[id]
		if a.ID == "" {
			continue // created by the plan: no recorded activity yet
		}
		for _, t := range []PolicyType{SCP, RCP} {
			b, okb := before.chainOf(id, t)
			n, _ := after.chainOf(id, t)
			if !okb || b.signature() != n.signature() {
				out = append(out, id)
				break
			}
		}
	}
	return out
}

// policyCache parses each distinct document once.
type policyCache map[string]*policy.Policy

func (pc policyCache) get(p *PolicyState) (*policy.Policy, error) {
	t := policy.TypeSCP
	if p.Type == RCP {
		t = policy.TypeRCP
	}
	key := string(p.Type) + "\x00" + p.Content
	if x, ok := pc[key]; ok {
		return x, nil
	}
	x, err := policy.Parse([]byte(p.Content), t)
	if err != nil {
		return nil, fmt.Errorf("%s %q: %w", ShortType(p.Type), p.Name, err)
	}
	pc[key] = x
	return x, nil
}

func (pc policyCache) levels(s *State, account string, t PolicyType) ([][]*policy.Policy, [][]*PolicyState, error) {
	c, ok := s.chainOf(account, t)
	if !ok {
		return nil, nil, nil
	}
	var out [][]*policy.Policy
	for _, lvl := range c.levels {
		var ps []*policy.Policy
		for _, p := range lvl {
			x, err := pc.get(p)
			if err != nil {
				return nil, nil, err
			}
			ps = append(ps, x)
		}
		out = append(out, ps)
	}
	return out, c.levels, nil
}

var (
	allowAllIdentity = policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}`, policy.TypeIdentity)
	allowAllResource = policy.MustParse(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":"*","Action":"*","Resource":"*"}]}`, policy.TypeResource)
)

// Evaluation is the organization-policy verdict on one request.
type Evaluation struct {
	Allowed bool
	By      string // the deciding policy or level when denied
}

// chainEval evaluates requests against one state's SCP and RCP chains.
type chainEval struct {
	s      *State
	cache  policyCache
	opt    ReplayOptions
	chains map[string]chainLevels // by type + account
}

type chainLevels struct {
	pols [][]*policy.Policy
	docs [][]*PolicyState
}

// levels returns an account's parsed chain, computed once per account.
func (ce *chainEval) levels(account string, t PolicyType) ([][]*policy.Policy, [][]*PolicyState, error) {
	k := string(t) + "/" + account
	if c, ok := ce.chains[k]; ok {
		return c.pols, c.docs, nil
	}
	pols, docs, err := ce.cache.levels(ce.s, account, t)
	if err != nil {
		return nil, nil, err
	}
	if ce.chains == nil {
		ce.chains = map[string]chainLevels{}
	}
	ce.chains[k] = chainLevels{pols, docs}
	return pols, docs, nil
}

func (ce *chainEval) eval(principal, principalAccount, resourceAccount, action, resource, region string) (Evaluation, error) {
	return ce.evalCtx(principal, principalAccount, resourceAccount, action, resource, requestContext(principal, region, ce.opt))
}

// requestContext derives the global condition keys of a recorded call.
func requestContext(principal, region string, opt ReplayOptions) policy.Context {
	ctx := policy.NewContext()
	policy.DeriveContext(&ctx, policy.PrincipalFacts{ARN: principal, OrgID: opt.OrgID, Region: region, Secure: true}, opt.Now)
	return ctx
}

// evalCtx evaluates with a prepared context (read-only: the engine does not
// change it, so one context serves the old and the new chain).
func (ce *chainEval) evalCtx(principal, principalAccount, resourceAccount, action, resource string, ctx policy.Context) (Evaluation, error) {
	scps, scpDocs, err := ce.levels(principalAccount, SCP)
	if err != nil {
		return Evaluation{}, err
	}
	rcps, rcpDocs, err := ce.levels(resourceAccount, RCP)
	if err != nil {
		return Evaluation{}, err
	}
	if resource == "" {
		resource = "*"
	}
	req := &policy.Request{Principal: principal, Action: action, Resource: resource, ResourceAccount: resourceAccount, Context: ctx}
	pol := &policy.Policies{Identity: []*policy.Policy{allowAllIdentity}, Resource: allowAllResource, SCPs: scps, RCPs: rcps}
	r := policy.Evaluate(req, pol, &policy.Options{ManagementAccount: ce.s.Management, RCPServices: ce.opt.RCPServices})
	if r.Decision == policy.AllowDecision {
		return Evaluation{Allowed: true}, nil
	}
	by := r.Gate.String()
	docs := scpDocs
	if r.Source == policy.SourceRCP {
		docs = rcpDocs
	}
	if (r.Source == policy.SourceSCP || r.Source == policy.SourceRCP) && r.Level < len(docs) {
		lvl := docs[r.Level]
		if r.PolicyIndex >= 0 && r.PolicyIndex < len(lvl) && r.Gate == policy.GateExplicitDeny {
			by = fmt.Sprintf("%s %q", strings.ToUpper(ShortType(lvl[r.PolicyIndex].Type)), lvl[r.PolicyIndex].Name)
			if r.Sid != "" {
				by += " " + r.Sid
			}
		} else {
			by = fmt.Sprintf("no allowing %s at level %d", strings.ToUpper(r.Source.String()), r.Level)
		}
	} else if r.Gate == policy.GateSCP {
		by = fmt.Sprintf("no allowing SCP at level %d", r.Level)
	}
	return Evaluation{By: by}, nil
}

// Replay replays usage rows through the chains of before and after and
// returns the difference, for the accounts whose chain changes. Rows of
// failed calls count only towards NewlyAllowed; rows that are not
// authorization decisions are skipped.
func Replay(before, after *State, rows []usage.Row, opt ReplayOptions) (*Impact, error) {
	if opt.Top <= 0 {
		opt.Top = 10
	}
	if opt.Now.IsZero() {
		opt.Now = time.Now().UTC()
	}
	im := &Impact{AffectedAccounts: AffectedAccounts(before, after)}
	if len(im.AffectedAccounts) == 0 {
		return im, nil
	}
	affected := map[string]bool{}
	for _, a := range im.AffectedAccounts {
		affected[a] = true
	}
	old := &chainEval{s: before, cache: policyCache{}, opt: opt}
	nw := &chainEval{s: after, cache: old.cache, opt: opt}
	type gkey struct{ account, principal, action, region, by string }
	groups := map[gkey]int64{}
	// Contexts depend on (principal, region) only: derive each once.
	contexts := map[[2]string]policy.Context{}
	for i := range rows {
		r := &rows[i]
		if !r.Authz {
			continue
		}
		pAcct := usage.AccountOfARN(r.Principal)
		if pAcct == "" {
			pAcct = r.Account
		}
		if !affected[pAcct] && !affected[r.Account] {
			continue
		}
		im.Rows++
		im.Replayed += r.Count
		if r.Region == "" {
			im.NoRegion += r.Count
		}
		ck := [2]string{r.Principal, r.Region}
		ctx, ok := contexts[ck]
		if !ok {
			ctx = requestContext(r.Principal, r.Region, opt)
			contexts[ck] = ctx
		}
		ob, err := old.evalCtx(r.Principal, pAcct, r.Account, r.Action, r.Resource, ctx)
		if err != nil {
			return nil, err
		}
		nb, err := nw.evalCtx(r.Principal, pAcct, r.Account, r.Action, r.Resource, ctx)
		if err != nil {
			return nil, err
		}
		switch {
		case r.ErrorCode == "" && ob.Allowed && !nb.Allowed:
			groups[gkey{pAcct, r.Principal, r.Action, r.Region, nb.By}] += r.Count
		case r.ErrorCode != "" && !ob.Allowed && nb.Allowed:
			im.NewlyAllowed += r.Count
		}
	}
	principals, accounts := map[string]bool{}, map[string]bool{}
	for k, n := range groups {
		im.Denied = append(im.Denied, Denial{Account: k.account, Principal: k.principal, Action: k.action, Region: k.region, Calls: n, By: k.by})
		im.NewlyDenied += n
		principals[k.principal] = true
		accounts[k.account] = true
	}
	im.DeniedPrincipals, im.DeniedAccounts = len(principals), len(accounts)
	sort.Slice(im.Denied, func(i, j int) bool {
		a, b := im.Denied[i], im.Denied[j]
		if a.Calls != b.Calls {
			return a.Calls > b.Calls
		}
		if a.Account != b.Account {
			return a.Account < b.Account
		}
		if a.Principal != b.Principal {
			return a.Principal < b.Principal
		}
		if a.Action != b.Action {
			return a.Action < b.Action
		}
		return a.Region < b.Region
	})
	im.Top = im.Denied[:min(opt.Top, len(im.Denied))]
	return im, nil
}

// ReplayPlan replays usage through the organization before and after the
// whole plan.
func ReplayPlan(base *State, changes []Change, rows []usage.Row, opt ReplayOptions) (*Impact, error) {
	after, err := Simulate(base, changes)
	if err != nil {
		return nil, err
	}
	return Replay(base, after, rows, opt)
}

// RequiredActions are the actions seiri's own role needs to keep managing
// the organization and reading IAM: the lockout guard refuses a plan after
// which an SCP denies the caller any of them.
var RequiredActions = []string{
	"organizations:DescribeOrganization", "organizations:ListRoots", "organizations:ListAccounts",
	"organizations:ListOrganizationalUnitsForParent", "organizations:ListPolicies", "organizations:DescribePolicy",
	"organizations:AttachPolicy", "organizations:DetachPolicy", "organizations:UpdatePolicy", "organizations:CreatePolicy",
	"organizations:MoveAccount", "organizations:CreateOrganizationalUnit",
	"iam:GetAccountAuthorizationDetails", "iam:ListRoles", "iam:GetRole", "iam:ListAccessKeys", "iam:UpdateAccessKey",
	"sts:AssumeRole", "sts:GetCallerIdentity",
}

// CallerLockoutRisks simulates the plan step by step and, after each step,
// evaluates the caller's principal (callerARN, in callerAccount) on the new
// SCP chain for every RequiredActions action in region (the Organizations
// and IAM endpoints are in us-east-1 when region is empty). It reports the
// first step after which an action is denied that was allowed before.
func CallerLockoutRisks(base *State, changes []Change, callerARN, callerAccount, region string, opt ReplayOptions) ([]LockoutRisk, error) {
	if callerAccount == "" || callerAccount == base.Management {
		return nil, nil // SCPs never apply to the management account
	}
	if region == "" {
		region = "us-east-1"
	}
	principal := callerPrincipal(callerARN)
	cache := policyCache{}
	check := func(s *State) (map[string]Evaluation, error) {
		ce := &chainEval{s: s, cache: cache, opt: opt}
		out := map[string]Evaluation{}
		for _, a := range RequiredActions {
			ev, err := ce.eval(principal, callerAccount, callerAccount, a, "*", region)
			if err != nil {
				return nil, err
			}
			out[a] = ev
		}
		return out, nil
	}
	before, err := check(base)
	if err != nil {
		return nil, err
	}
	var risks []LockoutRisk
	s := base.Clone()
	for i, c := range changes {
		if err := c.apply(s); err != nil {
			return nil, fmt.Errorf("step %d (%s): %v", i+1, c.Describe(), err)
		}
		switch c.(type) {
		case *AttachPolicy, *DetachPolicy, *UpdatePolicy, *MoveAccount:
		default:
			continue
		}
		now, err := check(s)
		if err != nil {
			return nil, err
		}
		var denied []string
		by := ""
		for _, a := range RequiredActions {
			if before[a].Allowed && !now[a].Allowed {
				denied = append(denied, a)
				if by == "" {
					by = now[a].By
				}
			}
		}
		if len(denied) > 0 {
			risks = append(risks, LockoutRisk{Step: i + 1, Change: c.Describe(),
				Reason: fmt.Sprintf("denies the caller %s %s (%s)", shortPrincipal(principal), strings.Join(denied, ", "), by)})
			for _, a := range denied {
				before[a] = now[a] // report each action once
			}
		}
	}
	return risks, nil
}

// callerPrincipal turns an STS caller ARN into the principal the engine
// sees: assumed-role sessions stay as they are (the engine derives the role).
func callerPrincipal(arn string) string { return arn }
