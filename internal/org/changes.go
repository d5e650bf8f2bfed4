package org

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Action is how a change shows in a plan: + create, ~ change, - destroy.
type Action string

// Actions.
const (
	Create  Action = "create"
	Update  Action = "update"
	Destroy Action = "delete"
)

// Symbol is the plan marker of an action.
func (a Action) Symbol() string {
	switch a {
	case Create:
		return "+"
	case Destroy:
		return "-"
	}
	return "~"
}

// Change is one typed step of an organization plan. Its JSON form (see
// Plan) carries Kind, Target, Description and the typed parameters, which
// is what the journaled apply machinery (internal/plan) stores; apply
// executes a change by its Kind with the parameters.
type Change interface {
	Kind() string
	Target() string
	Action() Action
	Describe() string
	// apply performs the change on a State (plan simulation).
	apply(s *State) error
}

// Change kinds.
const (
	KindCreateOU      = "org.create-ou"
	KindCreatePolicy  = "org.create-policy"
	KindUpdatePolicy  = "org.update-policy"
	KindAttachPolicy  = "org.attach-policy"
	KindCreateAccount = "org.create-account"
	KindMoveAccount   = "org.move-account"
	KindDetachPolicy  = "org.detach-policy"
	KindDeleteOU      = "org.delete-ou"
	KindDeletePolicy  = "org.delete-policy"
)

// newChange returns an empty change of a kind, for decoding.
func newChange(kind string) (Change, bool) {
	switch kind {
	case KindCreateOU:
		return &CreateOU{}, true
	case KindCreatePolicy:
		return &CreatePolicy{}, true
	case KindUpdatePolicy:
		return &UpdatePolicy{}, true
	case KindAttachPolicy:
		return &AttachPolicy{}, true
	case KindCreateAccount:
		return &CreateAccount{}, true
	case KindMoveAccount:
		return &MoveAccount{}, true
	case KindDetachPolicy:
		return &DetachPolicy{}, true
	case KindDeleteOU:
		return &DeleteOU{}, true
	case KindDeletePolicy:
		return &DeletePolicy{}, true
	}
	return nil, false
}

func ouName(path string) string {
	if path == "" {
		return "root"
	}
	return "OU " + path
}

// TargetName renders a target key for people.
func TargetName(key string) string {
	switch {
	case key == RootTarget:
		return "root"
	case strings.HasPrefix(key, "ou:"):
		return "OU " + key[3:]
	case strings.HasPrefix(key, "account:new:"):
		return "new account " + key[12:]
	case strings.HasPrefix(key, "account:"):
		return "account " + key[8:]
	case strings.HasPrefix(key, "leftover:"):
		return "target " + key[9:] + " (no longer in the organization)"
	}
	return key
}

// CreateOU creates an OU under its parent (created earlier in the plan or
// existing). AWS attaches FullAWSAccess to a new OU by itself.
type CreateOU struct {
	Path     string `json:"path"`
	Name     string `json:"name"`
	ParentID string `json:"parentId,omitempty"` // empty when the parent is created by the plan
}

func (c *CreateOU) Kind() string     { return KindCreateOU }
func (c *CreateOU) Target() string   { return OUTarget(c.Path) }
func (c *CreateOU) Action() Action   { return Create }
func (c *CreateOU) Describe() string { return "create OU " + c.Path }
func (c *CreateOU) apply(s *State) error {
	if _, ok := s.OUs[c.Path]; ok {
		return fmt.Errorf("OU %s exists", c.Path)
	}
	if p := ParentOf(c.Path); p != "" && s.OUs[p] == nil {
		return fmt.Errorf("parent of OU %s does not exist", c.Path)
	}
	s.OUs[c.Path] = &OUState{Path: c.Path, Name: c.Name}
	if full := s.Policies[PolicyKey(SCP, FullAWSAccess)]; full != nil {
		s.attach(OUTarget(c.Path), full.Key())
	}
	return nil
}

// CreatePolicy creates a policy with its (minified) content.
type CreatePolicy struct {
	Name        string     `json:"name"`
	Type        PolicyType `json:"type"`
	Description string     `json:"description,omitempty"`
	Content     string     `json:"content"`
	Source      string     `json:"source,omitempty"`
}

func (c *CreatePolicy) Kind() string   { return KindCreatePolicy }
func (c *CreatePolicy) Target() string { return "policy:" + PolicyKey(c.Type, c.Name) }
func (c *CreatePolicy) Action() Action { return Create }
func (c *CreatePolicy) Describe() string {
	d := fmt.Sprintf("create %s %q (%d characters", strings.ToUpper(ShortType(c.Type)), c.Name, len(c.Content))
	if c.Source != "" {
		d += ", " + c.Source
	}
	return d + ")"
}
func (c *CreatePolicy) apply(s *State) error {
	k := PolicyKey(c.Type, c.Name)
	if _, ok := s.Policies[k]; ok {
		return fmt.Errorf("policy %s exists", k)
	}
	s.Policies[k] = &PolicyState{Name: c.Name, Type: c.Type, Description: c.Description, Content: c.Content}
	return nil
}

// UpdatePolicy replaces a policy's content and description.
type UpdatePolicy struct {
	PolicyID       string     `json:"policyId"`
	Name           string     `json:"name"`
	Type           PolicyType `json:"type"`
	Description    string     `json:"description,omitempty"`
	Content        string     `json:"content"`
	OldDescription string     `json:"oldDescription,omitempty"`
	OldContent     string     `json:"oldContent"` // for review and backup
}

func (c *UpdatePolicy) Kind() string   { return KindUpdatePolicy }
func (c *UpdatePolicy) Target() string { return "policy:" + PolicyKey(c.Type, c.Name) }
func (c *UpdatePolicy) Action() Action { return Update }
func (c *UpdatePolicy) Describe() string {
	var what []string
	if !SameContent(c.Content, c.OldContent) {
		what = append(what, fmt.Sprintf("content %d → %d characters", len(compactJSON(c.OldContent)), len(c.Content)))
	}
	if c.Description != c.OldDescription {
		what = append(what, "description")
	}
	return fmt.Sprintf("update %s %q: %s", strings.ToUpper(ShortType(c.Type)), c.Name, strings.Join(what, ", "))
}
func (c *UpdatePolicy) apply(s *State) error {
	p := s.Policies[PolicyKey(c.Type, c.Name)]
	if p == nil {
		return fmt.Errorf("policy %s does not exist", c.Name)
	}
	p.Content, p.Description = c.Content, c.Description
	return nil
}

// AttachPolicy attaches a policy to the root, an OU or an account.
type AttachPolicy struct {
	PolicyName string     `json:"policyName"`
	PolicyType PolicyType `json:"policyType"`
	PolicyID   string     `json:"policyId,omitempty"` // empty when created by the plan
	TargetKey  string     `json:"target"`             // root, ou:PATH, account:ID or account:new:EMAIL
	TargetID   string     `json:"targetId,omitempty"` // empty when created by the plan
}

func (c *AttachPolicy) Kind() string   { return KindAttachPolicy }
func (c *AttachPolicy) Target() string { return c.TargetKey }
func (c *AttachPolicy) Action() Action { return Create }
func (c *AttachPolicy) Describe() string {
	return fmt.Sprintf("attach %s %q to %s", strings.ToUpper(ShortType(c.PolicyType)), c.PolicyName, TargetName(c.TargetKey))
}
func (c *AttachPolicy) apply(s *State) error {
	k := PolicyKey(c.PolicyType, c.PolicyName)
	if s.Policies[k] == nil {
		return fmt.Errorf("policy %s does not exist", k)
	}
	if s.Attachments[c.TargetKey][k] {
		return fmt.Errorf("policy %s already attached to %s", k, c.TargetKey)
	}
	s.attach(c.TargetKey, k)
	return nil
}

// DetachPolicy detaches a policy from a target.
type DetachPolicy struct {
	PolicyName string     `json:"policyName"`
	PolicyType PolicyType `json:"policyType"`
	PolicyID   string     `json:"policyId,omitempty"`
	TargetKey  string     `json:"target"`
	TargetID   string     `json:"targetId,omitempty"`
}

func (c *DetachPolicy) Kind() string   { return KindDetachPolicy }
func (c *DetachPolicy) Target() string { return c.TargetKey }
func (c *DetachPolicy) Action() Action { return Destroy }
func (c *DetachPolicy) Describe() string {
	return fmt.Sprintf("detach %s %q from %s", strings.ToUpper(ShortType(c.PolicyType)), c.PolicyName, TargetName(c.TargetKey))
}
func (c *DetachPolicy) apply(s *State) error {
	k := PolicyKey(c.PolicyType, c.PolicyName)
	if !s.Attachments[c.TargetKey][k] {
		return fmt.Errorf("policy %s is not attached to %s", k, c.TargetKey)
	}
	delete(s.Attachments[c.TargetKey], k)
	return nil
}

// CreateAccount creates a member account (CreateAccount, polled until it
// succeeds or fails) and moves it from the root into its OU. AWS attaches
// FullAWSAccess to a new account by itself.
type CreateAccount struct {
	Name       string            `json:"name"`
	Email      string            `json:"email"`
	ParentPath string            `json:"parentPath"`
	ParentID   string            `json:"parentId,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
}

func (c *CreateAccount) Kind() string   { return KindCreateAccount }
func (c *CreateAccount) Target() string { return AccountTarget("new:" + strings.ToLower(c.Email)) }
func (c *CreateAccount) Action() Action { return Create }
func (c *CreateAccount) Describe() string {
	return fmt.Sprintf("create account %q <%s> in %s", c.Name, c.Email, ouName(c.ParentPath))
}
func (c *CreateAccount) apply(s *State) error {
	a := &AccountState{Name: c.Name, Email: c.Email, Parent: c.ParentPath, Status: "ACTIVE"}
	if _, ok := s.Accounts[a.Key()]; ok {
		return fmt.Errorf("account %s exists", a.Key())
	}
	if c.ParentPath != "" && s.OUs[c.ParentPath] == nil {
		return fmt.Errorf("OU %s does not exist", c.ParentPath)
	}
	s.Accounts[a.Key()] = a
	if full := s.Policies[PolicyKey(SCP, FullAWSAccess)]; full != nil {
		s.attach(AccountTarget(a.Key()), full.Key())
	}
	return nil
}

// MoveAccount moves an account between OUs (MoveAccount).
type MoveAccount struct {
	AccountID   string `json:"accountId"`
	AccountName string `json:"accountName,omitempty"`
	From        string `json:"from"` // OU path, "" for the root
	To          string `json:"to"`
	FromID      string `json:"fromId,omitempty"`
	ToID        string `json:"toId,omitempty"` // empty when the OU is created by the plan
	// Removed is set when the account left the spec and goes to Suspended.
	Removed bool `json:"removed,omitempty"`
}

func (c *MoveAccount) Kind() string   { return KindMoveAccount }
func (c *MoveAccount) Target() string { return AccountTarget(c.AccountID) }
func (c *MoveAccount) Action() Action { return Update }
func (c *MoveAccount) Describe() string {
	d := fmt.Sprintf("move account %s", c.AccountID)
	if c.AccountName != "" {
		d += fmt.Sprintf(" (%s)", c.AccountName)
	}
	d += fmt.Sprintf(" from %s to %s", ouName(c.From), ouName(c.To))
	if c.Removed {
		d += " (not in the spec; accounts are never closed)"
	}
	return d
}
func (c *MoveAccount) apply(s *State) error {
	a := s.Accounts[c.AccountID]
	if a == nil {
		return fmt.Errorf("account %s does not exist", c.AccountID)
	}
	if a.Parent != c.From {
		return fmt.Errorf("account %s is in %q, not %q", c.AccountID, a.Parent, c.From)
	}
	if c.To != "" && s.OUs[c.To] == nil {
		return fmt.Errorf("OU %s does not exist", c.To)
	}
	a.Parent = c.To
	return nil
}

// DeleteOU deletes an empty OU.
type DeleteOU struct {
	Path string `json:"path"`
	ID   string `json:"id"`
}

func (c *DeleteOU) Kind() string     { return KindDeleteOU }
func (c *DeleteOU) Target() string   { return OUTarget(c.Path) }
func (c *DeleteOU) Action() Action   { return Destroy }
func (c *DeleteOU) Describe() string { return "delete OU " + c.Path + " (empty)" }
func (c *DeleteOU) apply(s *State) error {
	if s.OUs[c.Path] == nil {
		return fmt.Errorf("OU %s does not exist", c.Path)
	}
	for p := range s.OUs {
		if ParentOf(p) == c.Path {
			return fmt.Errorf("OU %s still has child OU %s", c.Path, p)
		}
	}
	for _, a := range s.Accounts {
		if a.Parent == c.Path {
			return fmt.Errorf("OU %s still holds account %s", c.Path, a.Key())
		}
	}
	delete(s.OUs, c.Path)
	delete(s.Attachments, OUTarget(c.Path))
	return nil
}

// DeletePolicy deletes a policy no longer in the spec (detached first).
type DeletePolicy struct {
	PolicyID string     `json:"policyId"`
	Name     string     `json:"name"`
	Type     PolicyType `json:"type"`
	Content  string     `json:"content"` // kept for backup and review
}

func (c *DeletePolicy) Kind() string   { return KindDeletePolicy }
func (c *DeletePolicy) Target() string { return "policy:" + PolicyKey(c.Type, c.Name) }
func (c *DeletePolicy) Action() Action { return Destroy }
func (c *DeletePolicy) Describe() string {
	return fmt.Sprintf("delete %s %q (not in the spec)", strings.ToUpper(ShortType(c.Type)), c.Name)
}
func (c *DeletePolicy) apply(s *State) error {
	k := PolicyKey(c.Type, c.Name)
	if s.Policies[k] == nil {
		return fmt.Errorf("policy %s does not exist", k)
	}
	for t, set := range s.Attachments {
		if set[k] {
			return fmt.Errorf("policy %s is still attached to %s", k, t)
		}
	}
	delete(s.Policies, k)
	return nil
}

// changeJSON is the JSON form of one change.
type changeJSON struct {
	Kind        string          `json:"kind"`
	Action      Action          `json:"action"`
	Target      string          `json:"target"`
	Description string          `json:"description"`
	Params      json.RawMessage `json:"params"`
}

// MarshalChange returns a change's JSON form.
func MarshalChange(c Change) ([]byte, error) {
	params, err := json.Marshal(c)
	if err != nil {
		return nil, err
	}
	return json.Marshal(changeJSON{Kind: c.Kind(), Action: c.Action(), Target: c.Target(), Description: c.Describe(), Params: params})
}

// UnmarshalChange decodes a change from its JSON form.
func UnmarshalChange(data []byte) (Change, error) {
	var cj changeJSON
	if err := json.Unmarshal(data, &cj); err != nil {
		return nil, err
	}
	c, ok := newChange(cj.Kind)
	if !ok {
		return nil, fmt.Errorf("unknown change kind %q", trim(cj.Kind))
	}
	dec := json.NewDecoder(strings.NewReader(string(cj.Params)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(c); err != nil {
		return nil, fmt.Errorf("change %s: %v", cj.Kind, err)
	}
	return c, nil
}

// Detailer is a change with more to show under its one-line description.
type Detailer interface {
	Details() []string
}

// Details lists the statements the update adds, removes or changes,
// matched by Sid (or by their text when they have none).
func (c *UpdatePolicy) Details() []string { return statementDiff(c.OldContent, c.Content) }

func statementDiff(oldDoc, newDoc string) []string {
	index := func(doc string) (map[string]string, []string, bool) {
		var d struct{ Statement json.RawMessage }
		if json.Unmarshal([]byte(doc), &d) != nil {
			return nil, nil, false
		}
		var list []json.RawMessage
		if json.Unmarshal(d.Statement, &list) != nil {
			list = []json.RawMessage{d.Statement}
		}
		m, order := map[string]string{}, []string(nil)
		for i, raw := range list {
			var st struct{ Sid string }
			_ = json.Unmarshal(raw, &st)
			key := st.Sid
			if key == "" {
				key = fmt.Sprintf("#%d %s", i+1, trim(compactJSON(string(raw))))
			}
			m[key] = compactJSON(string(raw))
			order = append(order, key)
		}
		return m, order, true
	}
	om, oorder, ok1 := index(oldDoc)
	nm, norder, ok2 := index(newDoc)
	if !ok1 || !ok2 {
		return nil
	}
	var out []string
	for _, k := range oorder {
		if _, ok := nm[k]; !ok {
			out = append(out, "- statement "+k)
		}
	}
	for _, k := range norder {
		old, ok := om[k]
		switch {
		case !ok:
			out = append(out, "+ statement "+k)
		case old != nm[k]:
			out = append(out, "~ statement "+k)
		}
	}
	return out
}
