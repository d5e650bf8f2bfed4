package awsfake

import (
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Organizations write operations (JSON 1.1), for `seiri org apply`. They
// change the scenario's *snapshot.Organization in place, so a collect after
// an apply sees the new tree. Errors and limits follow the Organizations API
// reference (CreateOrganizationalUnit, AttachPolicy, ... "Errors" sections)
// and the Organizations quotas page.
func init() {
	for op, h := range map[string]func(*call) (any, *Error){
		"CreateOrganizationalUnit":    orgCreateOU,
		"UpdateOrganizationalUnit":    orgUpdateOU,
		"DeleteOrganizationalUnit":    orgDeleteOU,
		"CreatePolicy":                orgCreatePolicy,
		"UpdatePolicy":                orgUpdatePolicy,
		"DeletePolicy":                orgDeletePolicy,
		"AttachPolicy":                orgAttachPolicy,
		"DetachPolicy":                orgDetachPolicy,
		"MoveAccount":                 orgMoveAccount,
		"CreateAccount":               orgCreateAccount,
		"DescribeCreateAccountStatus": orgDescribeCreateAccountStatus,
		"TagResource":                 orgTagResource,
	} {
		orgOps[op] = h
	}
}

// OrgLimits are the quotas the fake enforces (defaults: the current AWS
// values, Organizations quotas page; SCPs raised to 10,240 characters and 10
// per target on 2026-05-15).
type OrgLimits struct {
	SCPSize, SCPsPerTarget int
	OUDepth                int
}

// orgWrite is the per-server state of the write operations (the Server
// struct is shared with the read side; this keeps the write side in its own
// file). Accessed under the server's lock, except the map itself.
type orgWrite struct {
	seq        int
	limits     OrgLimits
	creates    map[string]*createStatus // request id → status
	pollsLeft  int                      // DescribeCreateAccountStatus polls IN_PROGRESS before the result
	failEmails map[string]string        // email → failure reason
	ouTags     map[string]map[string]string
}

type createStatus struct {
	id, name, email, account, reason string
	polls                            int
	requested                        time.Time
}

var (
	orgWritesMu sync.Mutex
	orgWrites   = map[*Server]*orgWrite{}
)

func (s *Server) orgWrite() *orgWrite {
	orgWritesMu.Lock()
	defer orgWritesMu.Unlock()
	w := orgWrites[s]
	if w == nil {
		w = &orgWrite{limits: OrgLimits{SCPSize: 10240, SCPsPerTarget: 10, OUDepth: 5}, creates: map[string]*createStatus{},
			failEmails: map[string]string{}, ouTags: map[string]map[string]string{}, pollsLeft: 2}
		orgWrites[s] = w
	}
	return w
}

// SetOrgLimits changes the quotas the fake enforces.
func (s *Server) SetOrgLimits(l OrgLimits) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orgWrite().limits = l
}

// CreateAccountPolls makes each CreateAccount request report IN_PROGRESS for
// n DescribeCreateAccountStatus polls before its result (default 2).
func (s *Server) CreateAccountPolls(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orgWrite().pollsLeft = n
}

// FailCreateAccount makes CreateAccount for email end FAILED with reason
// (e.g. EMAIL_ALREADY_EXISTS).
func (s *Server) FailCreateAccount(email, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.orgWrite().failEmails[strings.ToLower(email)] = reason
}

// ConcurrentModification makes the next n calls of op (every account) fail
// with ConcurrentModificationException, which Organizations returns when two
// writes touch the same entity at once.
func (s *Server) ConcurrentModification(op string, n int) {
	s.FailOp("", op, errf(400, "ConcurrentModificationException",
		"AWS Organizations can't complete your request because it conflicts with another attempt to modify the same entity. Try again later."), n)
}

func (c *call) nextID(prefix string, digits int) string {
	w := c.s.orgWrite()
	w.seq++
	return fmt.Sprintf("%s%0*d", prefix, digits, w.seq)
}

func constraint(reason string) *Error {
	return errf(400, "ConstraintViolationException", "You have exceeded the allowed number of a resource or violated a constraint (%s).", reason)
}

func (c *call) findOU(o *snapshot.Organization, id string) *snapshot.OU {
	for i := range o.OUs {
		if o.OUs[i].ID == id {
			return &o.OUs[i]
		}
	}
	return nil
}

func (c *call) findAccount(o *snapshot.Organization, id string) *snapshot.OrgAccount {
	for i := range o.Accounts {
		if o.Accounts[i].ID == id {
			return &o.Accounts[i]
		}
	}
	return nil
}

func ouDepth(o *snapshot.Organization, c *call, id string) int {
	d := 0
	for id != "" && d <= len(o.OUs) {
		u := c.findOU(o, id)
		if u == nil {
			break
		}
		d++
		id = u.ParentID
	}
	return d
}

func orgCreateOU(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	pid, name := c.str("ParentId"), c.str("Name")
	if !c.parentExists(o, pid) {
		return nil, errf(400, "ParentNotFoundException", "We can't find a root or OU with the ParentId that you specified: %s", pid)
	}
	if name == "" || len(name) > 128 {
		return nil, errf(400, "InvalidInputException", "Name must be 1-128 characters (INVALID_INPUT)")
	}
	for _, u := range o.OUs {
		if u.ParentID == pid && strings.EqualFold(u.Name, name) {
			return nil, errf(400, "DuplicateOrganizationalUnitException", "An OU with the same name already exists.")
		}
	}
	// OU depth: 5 levels under the root (Organizations quotas).
	if ouDepth(o, c, pid)+1 > c.s.orgWrite().limits.OUDepth {
		return nil, constraint("OU_DEPTH_LIMIT_EXCEEDED")
	}
	rootSuffix := strings.TrimPrefix(o.Roots[0].ID, "r-")
	u := snapshot.OU{ID: "ou-" + rootSuffix + "-" + c.nextID("w", 7), Name: name, ParentID: pid}
	u.ARN = orgARN(o, "ou", u.ID)
	o.OUs = append(o.OUs, u)
	// AWS attaches FullAWSAccess to every new OU when SCPs are enabled.
	attachFull(o, u.ID)
	if tags := c.tagsParam(); len(tags) > 0 {
		c.s.orgWrite().ouTags[u.ID] = tags
	}
	return map[string]any{"OrganizationalUnit": map[string]any{"Id": u.ID, "Arn": u.ARN, "Name": u.Name}}, nil
}

func attachFull(o *snapshot.Organization, target string) {
	for i := range o.Policies {
		p := &o.Policies[i]
		if p.AWSManaged && p.Type == "SERVICE_CONTROL_POLICY" && p.Name == "FullAWSAccess" {
			p.Targets = append(p.Targets, target)
		}
	}
}

func orgUpdateOU(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	u := c.findOU(o, c.str("OrganizationalUnitId"))
	if u == nil {
		return nil, errf(400, "OrganizationalUnitNotFoundException", "We can't find an OU with the OrganizationalUnitId that you specified.")
	}
	if n := c.str("Name"); n != "" {
		for _, x := range o.OUs {
			if x.ID != u.ID && x.ParentID == u.ParentID && strings.EqualFold(x.Name, n) {
				return nil, errf(400, "DuplicateOrganizationalUnitException", "An OU with the same name already exists.")
			}
		}
		u.Name = n
	}
	return map[string]any{"OrganizationalUnit": map[string]any{"Id": u.ID, "Arn": u.ARN, "Name": u.Name}}, nil
}

func orgDeleteOU(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	id := c.str("OrganizationalUnitId")
	if c.findOU(o, id) == nil {
		return nil, errf(400, "OrganizationalUnitNotFoundException", "We can't find an OU with the OrganizationalUnitId that you specified.")
	}
	for _, u := range o.OUs {
		if u.ParentID == id {
			return nil, errf(400, "OrganizationalUnitNotEmptyException", "The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again.")
		}
	}
	for _, a := range o.Accounts {
		if a.ParentID == id {
			return nil, errf(400, "OrganizationalUnitNotEmptyException", "The specified OU is not empty. Move all accounts to another root or to other OUs, remove all child OUs, and try the operation again.")
		}
	}
	out := o.OUs[:0]
	for _, u := range o.OUs {
		if u.ID != id {
			out = append(out, u)
		}
	}
	o.OUs = out
	for i := range o.Policies {
		o.Policies[i].Targets = without(o.Policies[i].Targets, id)
	}
	return map[string]any{}, nil
}

func without(list []string, v string) []string {
	out := list[:0:0]
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

var policyTypes = map[string]bool{"SERVICE_CONTROL_POLICY": true, "RESOURCE_CONTROL_POLICY": true, "TAG_POLICY": true,
	"BACKUP_POLICY": true, "AISERVICES_OPT_OUT_POLICY": true, "CHATBOT_POLICY": true, "DECLARATIVE_POLICY_EC2": true}

// policySizeLimit is the content quota of a policy type (Organizations quotas).
func (c *call) policySizeLimit(typ string) int {
	switch typ {
	case "SERVICE_CONTROL_POLICY":
		return c.s.orgWrite().limits.SCPSize
	case "RESOURCE_CONTROL_POLICY":
		return 5120
	}
	return 10000
}

func orgCreatePolicy(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	name, typ, content := c.str("Name"), c.str("Type"), c.str("Content")
	if !policyTypes[typ] {
		return nil, errf(400, "InvalidInputException", "Type %q is invalid (INVALID_ENUM)", typ)
	}
	if name == "" || len(name) > 128 {
		return nil, errf(400, "InvalidInputException", "Name must be 1-128 characters (INVALID_INPUT)")
	}
	if !jsonValid(content) {
		return nil, errf(400, "MalformedPolicyDocumentException", "The provided policy document doesn't meet the requirements of the specified policy type.")
	}
	if len(content) > c.policySizeLimit(typ) {
		return nil, constraint("POLICY_CONTENT_LIMIT_EXCEEDED")
	}
	for _, p := range o.Policies {
		if p.Type == typ && p.Name == name {
			return nil, errf(400, "DuplicatePolicyException", "A policy with the same name already exists.")
		}
	}
	p := snapshot.OrgPolicy{ID: "p-" + c.nextID("w", 7), Name: name, Description: c.str("Description"), Type: typ, Content: content, Targets: []string{}}
	p.ARN = fmt.Sprintf("arn:aws:organizations::%s:policy/%s/%s/%s", o.ManagementAccount, o.ID, strings.ToLower(typ), p.ID)
	o.Policies = append(o.Policies, p)
	return map[string]any{"Policy": map[string]any{"PolicySummary": policySummary(p), "Content": p.Content}}, nil
}

func jsonValid(s string) bool {
	var v map[string]any
	return jsonUnmarshal([]byte(s), &v) == nil
}

func orgUpdatePolicy(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	p, err := c.policy(o)
	if err != nil {
		return nil, err
	}
	if p.AWSManaged {
		return nil, errf(400, "PolicyChangesInProgressException", "AWS managed policies cannot be changed.")
	}
	if v, ok := c.body["Content"].(string); ok {
		if !jsonValid(v) {
			return nil, errf(400, "MalformedPolicyDocumentException", "The provided policy document doesn't meet the requirements of the specified policy type.")
		}
		if len(v) > c.policySizeLimit(p.Type) {
			return nil, constraint("POLICY_CONTENT_LIMIT_EXCEEDED")
		}
		p.Content = v
	}
	if v, ok := c.body["Description"].(string); ok {
		p.Description = v
	}
	if v, ok := c.body["Name"].(string); ok && v != "" {
		p.Name = v
	}
	return map[string]any{"Policy": map[string]any{"PolicySummary": policySummary(*p), "Content": p.Content}}, nil
}

func orgDeletePolicy(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	p, err := c.policy(o)
	if err != nil {
		return nil, err
	}
	if p.AWSManaged {
		return nil, errf(400, "AccessDeniedException", "AWS managed policies cannot be deleted.")
	}
	if len(p.Targets) > 0 {
		return nil, errf(400, "PolicyInUseException", "The policy is attached to one or more entities. You must detach it from all roots, OUs, and accounts before performing this operation.")
	}
	out := o.Policies[:0]
	for _, x := range o.Policies {
		if x.ID != p.ID {
			out = append(out, x)
		}
	}
	o.Policies = out
	return map[string]any{}, nil
}

// targetExists reports whether id is the root, an OU or an account.
func (c *call) targetExists(o *snapshot.Organization, id string) bool {
	return c.parentExists(o, id) || c.findAccount(o, id) != nil
}

func attachedOfType(o *snapshot.Organization, target, typ string) int {
	n := 0
	for _, p := range o.Policies {
		if p.Type != typ {
			continue
		}
		for _, t := range p.Targets {
			if t == target {
				n++
			}
		}
	}
	return n
}

func orgAttachPolicy(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	p, err := c.policy(o)
	if err != nil {
		return nil, err
	}
	target := c.str("TargetId")
	if !c.targetExists(o, target) {
		return nil, errf(400, "TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you specified: %s", target)
	}
	for _, t := range p.Targets {
		if t == target {
			return nil, errf(400, "DuplicatePolicyAttachmentException", "The selected policy is already attached to the specified target.")
		}
	}
	if p.Type == "SERVICE_CONTROL_POLICY" && attachedOfType(o, target, p.Type) >= c.s.orgWrite().limits.SCPsPerTarget {
		return nil, constraint("MAX_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
	}
	p.Targets = append(p.Targets, target)
	return map[string]any{}, nil
}

func orgDetachPolicy(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	p, err := c.policy(o)
	if err != nil {
		return nil, err
	}
	target := c.str("TargetId")
	if !c.targetExists(o, target) {
		return nil, errf(400, "TargetNotFoundException", "We can't find a root, OU, account, or policy with the TargetId that you specified: %s", target)
	}
	found := false
	for _, t := range p.Targets {
		found = found || t == target
	}
	if !found {
		return nil, errf(400, "PolicyNotAttachedException", "The policy isn't attached to the specified target in the specified root.")
	}
	// At least one SCP must stay attached to every root, OU and account
	// (Organizations quotas: "minimum of one SCP attached").
	if p.Type == "SERVICE_CONTROL_POLICY" && attachedOfType(o, target, p.Type) <= 1 {
		return nil, constraint("MIN_POLICY_TYPE_ATTACHMENT_LIMIT_EXCEEDED")
	}
	p.Targets = without(p.Targets, target)
	return map[string]any{}, nil
}

func orgMoveAccount(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	a := c.findAccount(o, c.str("AccountId"))
	if a == nil {
		return nil, errf(400, "AccountNotFoundException", "We can't find an AWS account with the AccountId that you specified.")
	}
	src, dst := c.str("SourceParentId"), c.str("DestinationParentId")
	if !c.parentExists(o, src) {
		return nil, errf(400, "SourceParentNotFoundException", "We can't find a source root or OU with the ParentId that you specified.")
	}
	if !c.parentExists(o, dst) {
		return nil, errf(400, "DestinationParentNotFoundException", "We can't find the destination container (a root or OU) with the ParentId that you specified.")
	}
	if a.ParentID != src {
		return nil, errf(400, "AccountNotFoundException", "We can't find an AWS account with the AccountId that you specified in the SourceParentId.")
	}
	if src == dst {
		return nil, errf(400, "DuplicateAccountException", "That account is already present in the specified destination.")
	}
	a.ParentID = dst
	return map[string]any{}, nil
}

func (c *call) tagsParam() map[string]string {
	list, _ := c.body["Tags"].([]any)
	out := map[string]string{}
	for _, t := range list {
		m, _ := t.(map[string]any)
		k, _ := m["Key"].(string)
		v, _ := m["Value"].(string)
		if k != "" {
			out[k] = v
		}
	}
	return out
}

func orgCreateAccount(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	name, email := c.str("AccountName"), c.str("Email")
	if name == "" || len(name) > 50 || len(email) < 6 || len(email) > 64 || !strings.Contains(email, "@") {
		return nil, errf(400, "InvalidInputException", "AccountName or Email is invalid (INVALID_INPUT)")
	}
	w := c.s.orgWrite()
	st := &createStatus{id: "car-" + c.nextID("", 10), name: name, email: email, polls: w.pollsLeft, requested: time.Now().UTC()}
	w.creates[st.id] = st
	if reason, ok := w.failEmails[strings.ToLower(email)]; ok {
		st.reason = reason
	} else {
		for _, a := range o.Accounts {
			if strings.EqualFold(a.Email, email) {
				st.reason = "EMAIL_ALREADY_EXISTS"
			}
		}
	}
	if st.reason == "" {
		// The account is placed in the root at once (AWS lists it only once
		// the request succeeded; apply polls before it looks).
		st.account = fmt.Sprintf("9%011d", w.seq)
		a := snapshot.OrgAccount{ID: st.account, Name: name, Email: email, Status: "ACTIVE", ParentID: o.Roots[0].ID,
			JoinedMethod: "CREATED", JoinedAt: st.requested, Tags: c.tagsParam()}
		if len(a.Tags) == 0 {
			a.Tags = nil
		}
		a.ARN = orgARN(o, "account", a.ID)
		o.Accounts = append(o.Accounts, a)
		attachFull(o, a.ID)
	}
	return map[string]any{"CreateAccountStatus": c.createStatusJSON(st, false)}, nil
}

func (c *call) createStatusJSON(st *createStatus, poll bool) map[string]any {
	m := map[string]any{"Id": st.id, "AccountName": st.name, "RequestedTimestamp": epoch(st.requested), "State": "IN_PROGRESS"}
	if !poll {
		return m
	}
	if st.polls > 0 {
		st.polls--
		return m
	}
	if st.reason != "" {
		m["State"], m["FailureReason"] = "FAILED", st.reason
		return m
	}
	m["State"], m["AccountId"], m["CompletedTimestamp"] = "SUCCEEDED", st.account, epoch(st.requested)
	return m
}

func orgDescribeCreateAccountStatus(c *call) (any, *Error) {
	if _, err := c.org(true); err != nil {
		return nil, err
	}
	st := c.s.orgWrite().creates[c.str("CreateAccountRequestId")]
	if st == nil {
		return nil, errf(400, "CreateAccountStatusNotFoundException", "We can't find an create account request with the CreateAccountRequestId that you specified.")
	}
	return map[string]any{"CreateAccountStatus": c.createStatusJSON(st, true)}, nil
}

func orgTagResource(c *call) (any, *Error) {
	o, err := c.org(true)
	if err != nil {
		return nil, err
	}
	id := c.str("ResourceId")
	tags := c.tagsParam()
	if a := c.findAccount(o, id); a != nil {
		if a.Tags == nil {
			a.Tags = map[string]string{}
		}
		for k, v := range tags {
			a.Tags[k] = v
		}
		return map[string]any{}, nil
	}
	if !c.parentExists(o, id) && !strings.HasPrefix(id, "p-") {
		return nil, errf(400, "TargetNotFoundException", "We can't find a resource with the ResourceId that you specified: %s", id)
	}
	w := c.s.orgWrite()
	if w.ouTags[id] == nil {
		w.ouTags[id] = map[string]string{}
	}
	for k, v := range tags {
		w.ouTags[id][k] = v
	}
	return map[string]any{}, nil
}
