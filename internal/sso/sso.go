// Package sso turns an IAM group model into an IAM Identity Center plan:
// permission sets (managed policies plus one inline policy, within Identity
// Center's limits), assignments (group → permission set → accounts), exported
// as JSON and Terraform, and a migration checklist per IAM user.
package sso

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Identity Center limits (IAM Identity Center User Guide, "Quotas" and the
// CreatePermissionSet / PutInlinePolicyToPermissionSet API reference).
const (
	MaxNameLen          = 32
	MaxInlineBytes      = 32768
	MaxInlineNonSpace   = 10240
	MaxManagedPolicies  = 20
	DefaultSessionHours = 8
)

// PermissionSet is one permission set to create.
type PermissionSet struct {
	Name        string          `json:"name"`
	Description string          `json:"description"`
	FromGroup   string          `json:"fromGroup"` // IAM group name it replaces
	Managed     []string        `json:"managedPolicies,omitempty"`
	Inline      json.RawMessage `json:"inlinePolicy,omitempty"`
	Session     string          `json:"sessionDuration"`
}

// Assignment gives a group a permission set in an account.
type Assignment struct {
	Group         string `json:"group"` // Identity Center group name
	PermissionSet string `json:"permissionSet"`
	Account       string `json:"account"`
}

// UserStep is the migration checklist of one IAM user.
type UserStep struct {
	Account      string   `json:"account"`
	IAMUser      string   `json:"iamUser"`
	IdentityUser string   `json:"identityCenterUser"`
	Email        string   `json:"email,omitempty"`
	Groups       []string `json:"identityCenterGroups"`
	Retire       bool     `json:"retire"`
	Steps        []string `json:"steps"`
	Blockers     []string `json:"blockers,omitempty"`
}

// Plan is the Identity Center plan.
type Plan struct {
	// Snapshot names the snapshot the plan was made from (set by the
	// command).
	Snapshot       string          `json:"snapshot,omitempty"`
	PermissionSets []PermissionSet `json:"permissionSets"`
	Assignments    []Assignment    `json:"assignments"`
	OUs            []OUAssignment  `json:"ouSummary,omitempty"`
	Users          []UserStep      `json:"users"`
	Warnings       []string        `json:"warnings,omitempty"`
}

// Build makes the plan from the accounts' group models.
func Build(accounts []*snapshot.Account) (*Plan, error) {
	p := &Plan{}
	type groupDef struct {
		managed  []string
		inline   []json.RawMessage
		accounts []string
	}
	defs := map[string]*groupDef{}
	docs := map[string]json.RawMessage{}
	for _, a := range accounts {
		for _, pol := range a.Policies {
			docs[pol.ARN] = pol.Document
		}
	}
	members := map[[2]string]int{}
	for _, a := range accounts {
		for _, u := range a.Users {
			for _, g := range u.Groups {
				members[[2]string{a.AccountID, g}]++
			}
		}
	}
	for _, a := range accounts {
		for _, g := range a.Groups {
			if members[[2]string{a.AccountID, g.GroupName}] == 0 {
				continue // nobody to migrate
			}
			if len(g.AttachedPolicies) == 0 && len(g.InlinePolicies) == 0 {
				continue
			}
			if !utf8.ValidString(g.GroupName) {
				return nil, fmt.Errorf("account %s: group name %q is not valid UTF-8", a.AccountID, g.GroupName)
			}
			d := defs[g.GroupName]
			if d == nil {
				d = &groupDef{}
				defs[g.GroupName] = d
			}
			d.accounts = append(d.accounts, a.AccountID)
			for _, ap := range g.AttachedPolicies {
				if isAWSManaged(ap.PolicyARN) {
					if !slices.Contains(d.managed, ap.PolicyARN) {
						d.managed = append(d.managed, ap.PolicyARN)
					}
					continue
				}
				// Customer managed policies exist per account: their
				// statements go into the permission set's inline policy.
				if doc, ok := docs[ap.PolicyARN]; ok {
					d.inline = append(d.inline, doc)
				} else {
					p.Warnings = append(p.Warnings, fmt.Sprintf("group %s: policy %s has no document in the snapshot; left out", g.GroupName, ap.PolicyARN))
				}
			}
			for _, ip := range g.InlinePolicies {
				d.inline = append(d.inline, ip.Document)
			}
		}
	}
	names := map[string]string{} // group → permission set name
	used := map[string]bool{}
	for _, gn := range sortedKeys(defs) {
		d := defs[gn]
		ps := PermissionSet{Name: psName(gn, used), FromGroup: gn, Session: fmt.Sprintf("PT%dH", DefaultSessionHours)}
		ps.Description = trimDesc("Replaces IAM group " + gn)
		names[gn] = ps.Name
		ps.Managed = d.managed
		sort.Strings(ps.Managed)
		if len(ps.Managed) > MaxManagedPolicies {
			return nil, fmt.Errorf("group %s: %d AWS managed policies, a permission set holds at most %d", gn, len(ps.Managed), MaxManagedPolicies)
		}
		if len(d.inline) > 0 {
			doc, err := mergeInline(d.inline)
			if err != nil {
				return nil, fmt.Errorf("group %s: %w", gn, err)
			}
			if len(doc) > MaxInlineBytes || nonSpace(doc) > MaxInlineNonSpace {
				return nil, fmt.Errorf("group %s: the merged inline policy has %d bytes (%d without whitespace): over the permission set limit of %d (%d); split the group", gn, len(doc), nonSpace(doc), MaxInlineBytes, MaxInlineNonSpace)
			}
			ps.Inline = doc
		}
		p.PermissionSets = append(p.PermissionSets, ps)
		for _, acct := range d.accounts {
			p.Assignments = append(p.Assignments, Assignment{Group: gn, PermissionSet: ps.Name, Account: acct})
		}
	}
	sort.Slice(p.Assignments, func(i, j int) bool {
		a, b := p.Assignments[i], p.Assignments[j]
		if a.Group != b.Group {
			return a.Group < b.Group
		}
		return a.Account < b.Account
	})
	for _, a := range accounts {
		for _, u := range a.Users {
			p.Users = append(p.Users, userStep(a, &u, names))
		}
	}
	return p, nil
}

func userStep(a *snapshot.Account, u *snapshot.User, names map[string]string) UserStep {
	st := UserStep{Account: a.AccountID, IAMUser: u.UserName, IdentityUser: u.UserName, Email: u.Tags["email"]}
	machine := u.Tags["kind"] == "service" || (u.LoginProfile == nil && len(u.AccessKeys) > 0 && len(u.MFADevices) == 0 && u.Tags["kind"] != "human")
	if machine {
		st.Blockers = append(st.Blockers, "a workload, not a person: replace its keys with a role (seiri roles suggest)")
		st.Steps = append(st.Steps, "keep out of Identity Center; see seiri roles suggest")
		return st
	}
	for _, g := range u.Groups {
		if names[g] != "" {
			st.Groups = append(st.Groups, g)
		}
	}
	st.Steps = append(st.Steps, fmt.Sprintf("create Identity Center user %s", st.IdentityUser))
	if len(st.Groups) > 0 {
		st.Steps = append(st.Steps, "add to groups "+strings.Join(st.Groups, ", "))
	}
	if len(u.AttachedPolicies) > 0 || len(u.InlinePolicies) > 0 {
		st.Blockers = append(st.Blockers, fmt.Sprintf("%d direct policies not covered by a group: move them into a group first (seiri groups plan)", len(u.AttachedPolicies)+len(u.InlinePolicies)))
	}
	for _, g := range u.Groups {
		if names[g] == "" {
			st.Blockers = append(st.Blockers, "group "+g+" has no policies or was not migrated")
		}
	}
	st.Steps = append(st.Steps, "sign in through the AWS access portal and check the access", "then retire the IAM user: seiri users retire quarantine, watch, then delete "+u.UserName)
	st.Retire = len(st.Blockers) == 0 || onlyEmptyGroupBlockers(st.Blockers)
	return st
}

func onlyEmptyGroupBlockers(bs []string) bool {
	for _, b := range bs {
		if !strings.HasPrefix(b, "group ") {
			return false
		}
	}
	return true
}

func isAWSManaged(arn string) bool {
	p := strings.SplitN(arn, ":", 6)
	return len(p) == 6 && p[4] == "aws" && strings.HasPrefix(p[5], "policy/")
}

// psName makes a permission set name: up to 32 characters of [\w+=,.@-]
// (CreatePermissionSet), unique; long names keep a hash suffix.
func psName(group string, used map[string]bool) string {
	var b strings.Builder
	for _, r := range group {
		if unicode.IsLetter(r) && r < 128 || unicode.IsDigit(r) && r < 128 || strings.ContainsRune("_+=,.@-", r) {
			b.WriteRune(r)
		} else {
			b.WriteByte('-')
		}
	}
	n := b.String()
	if n == "" {
		n = "group"
	}
	if len(n) > MaxNameLen || used[n] {
		h := sha256.Sum256([]byte(group))
		suffix := "-" + hex.EncodeToString(h[:3])
		n = n[:min(len(n), MaxNameLen-len(suffix))] + suffix
	}
	used[n] = true
	return n
}

func trimDesc(s string) string {
	// Description: up to 700 characters (CreatePermissionSet).
	if len(s) > 700 {
		return s[:700]
	}
	return s
}

// mergeInline joins the statements of several identity policies into one
// document, compact (whitespace counts against the byte limit).
func mergeInline(docs []json.RawMessage) (json.RawMessage, error) {
	var all []json.RawMessage
	for i, d := range docs {
		// HCL and JSON both need UTF-8; IAM policies are UTF-8 text.
		if !utf8.Valid(d) {
			return nil, fmt.Errorf("policy %d is not valid UTF-8", i+1)
		}
		var p struct {
			Statement json.RawMessage `json:"Statement"`
		}
		if err := json.Unmarshal(d, &p); err != nil {
			return nil, fmt.Errorf("policy %d: %w", i+1, err)
		}
		var list []json.RawMessage
		if err := json.Unmarshal(p.Statement, &list); err != nil {
			list = []json.RawMessage{p.Statement} // a single statement object
		}
		for _, st := range list {
			var c bytes.Buffer
			if err := json.Compact(&c, st); err != nil {
				return nil, fmt.Errorf("policy %d: %w", i+1, err)
			}
			st = c.Bytes()
			if !slices.ContainsFunc(all, func(o json.RawMessage) bool { return string(o) == string(st) }) {
				all = append(all, st)
			}
		}
	}
	return json.Marshal(map[string]any{"Version": "2012-10-17", "Statement": all})
}

func nonSpace(b []byte) int {
	n := 0
	for _, c := range string(b) {
		if !unicode.IsSpace(c) {
			n++
		}
	}
	return n
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// OUAssignment says a group's permission set is assigned in every active
// account directly under an OU. Identity Center assigns to accounts only
// (CreateAccountAssignment: TargetType AWS_ACCOUNT), so this is a summary:
// the account assignments stay the source of truth, and an account added to
// the OU later needs its own assignment.
type OUAssignment struct {
	Group         string   `json:"group"`
	PermissionSet string   `json:"permissionSet"`
	OU            string   `json:"ou"` // id
	OUName        string   `json:"ouName"`
	Accounts      []string `json:"accounts"`
}

// SummarizeOUs fills p.OUs from the organization (nil: nothing to do).
func (p *Plan) SummarizeOUs(org *snapshot.Organization) {
	p.OUs = nil
	if org == nil {
		return
	}
	under := map[string][]string{}
	for _, a := range org.Accounts {
		if a.Status == "" || a.Status == "ACTIVE" {
			under[a.ParentID] = append(under[a.ParentID], a.ID)
		}
	}
	assigned := map[string]map[string]bool{}
	ps := map[string]string{}
	for _, a := range p.Assignments {
		if assigned[a.Group] == nil {
			assigned[a.Group] = map[string]bool{}
		}
		assigned[a.Group][a.Account] = true
		ps[a.Group] = a.PermissionSet
	}
	for _, g := range sortedKeys(assigned) {
		for _, ou := range org.OUs {
			accts := under[ou.ID]
			if len(accts) == 0 {
				continue
			}
			all := true
			for _, id := range accts {
				all = all && assigned[g][id]
			}
			if all {
				sort.Strings(accts)
				p.OUs = append(p.OUs, OUAssignment{Group: g, PermissionSet: ps[g], OU: ou.ID, OUName: ou.Name, Accounts: accts})
			}
		}
	}
}
