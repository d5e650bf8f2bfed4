package detect

import (
	"encoding/json"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/finding"
)

var ruleNewAdminUser = rule("SEIRI-DETECT-NEW-ADMIN-USER", "New IAM user given credentials and administrator rights", finding.Critical,
	"A new IAM user was created, given an access key or a console password, and made an administrator (AdministratorAccess attached, an inline policy allowing every action on every resource, or membership of a group with such a policy), all within a short window: a backdoor account.",
	"Confirm the user was expected (a person's onboarding does not need a static key); if not, delete its keys and login profile, detach its policies, delete it, and investigate the caller.",
	[]string{"Persistence:IAMUser/AnomalousBehavior"}, []string{"T1136.003", "T1098.001", "T1098.003"})

func init() { ruleNewAdminUser.Threshold = "NewUserWindow, AdminGroups" }

// newUser is what happened to one user name of one account within the
// window: each step's first supporting event.
type newUser struct {
	created, cred, admin *Support
	adminHow             string
	first                time.Time
	fired                bool
}

// The managed policy that grants everything: IAM User Guide, "AWS managed
// policies for job functions" (AdministratorAccess).
func adminPolicyARN(arn string) bool {
	return strings.HasPrefix(arn, "arn:aws") && strings.HasSuffix(arn, ":iam::aws:policy/AdministratorAccess")
}

// adminDocument reports an inline policy document (URL-encoded or not, as
// CloudTrail logs requestParameters.policyDocument) with an Allow of
// action "*" (or "*:*") on resource "*", without condition.
func adminDocument(doc string) bool {
	if !strings.HasPrefix(strings.TrimSpace(doc), "{") {
		if u, err := url.QueryUnescape(doc); err == nil {
			doc = u
		}
	}
	var pol struct {
		Statement json.RawMessage `json:"Statement"`
	}
	if json.Unmarshal([]byte(doc), &pol) != nil {
		return false
	}
	type stmt struct {
		Effect    string          `json:"Effect"`
		Action    json.RawMessage `json:"Action"`
		Resource  json.RawMessage `json:"Resource"`
		Condition json.RawMessage `json:"Condition"`
	}
	var list []stmt
	if json.Unmarshal(pol.Statement, &list) != nil {
		var one stmt
		if json.Unmarshal(pol.Statement, &one) != nil {
			return false
		}
		list = []stmt{one}
	}
	strs := func(raw json.RawMessage) []string {
		var one string
		if json.Unmarshal(raw, &one) == nil {
			return []string{one}
		}
		var many []string
		_ = json.Unmarshal(raw, &many)
		return many
	}
	for _, s := range list {
		if s.Effect != "Allow" || (len(s.Condition) > 0 && string(s.Condition) != "null" && string(s.Condition) != "{}") {
			continue
		}
		acts, res := strs(s.Action), strs(s.Resource)
		if (slices.Contains(acts, "*") || slices.Contains(acts, "*:*")) && slices.Contains(res, "*") {
			return true
		}
	}
	return false
}

// newAdminUser follows CreateUser, CreateAccessKey / CreateLoginProfile
// and AttachUserPolicy / PutUserPolicy / AddUserToGroup per account and
// user name (requestParameters.userName; IAM API Reference). The steps may
// come in any order within NewUserWindow (a tool makes them in the same
// second, and one log file lists them in any order); the user must be
// created within the window. Groups become administrator groups when
// AttachGroupPolicy / PutGroupPolicy gives them such a policy in the
// judged logs, or by name in AdminGroups.
func (d *Detector) newAdminUser(e *Event) {
	if e.Source != "iam.amazonaws.com" || e.Time.IsZero() {
		return
	}
	switch e.Name {
	case "CreateUser", "CreateAccessKey", "CreateLoginProfile", "AttachUserPolicy", "PutUserPolicy", "AddUserToGroup",
		"AttachGroupPolicy", "PutGroupPolicy":
	default:
		return
	}
	if e.ErrorCode != "" {
		d.stats.Failed[ruleNewAdminUser.ID]++
		return
	}
	var p struct {
		UserName       string `json:"userName"`
		GroupName      string `json:"groupName"`
		PolicyARN      string `json:"policyArn"`
		PolicyDocument string `json:"policyDocument"`
	}
	if e.Request != nil {
		_ = json.Unmarshal(e.Request, &p)
	}
	if p.UserName == "" {
		p.UserName = e.ReqUserName
	}
	switch e.Name {
	case "AttachGroupPolicy", "PutGroupPolicy":
		if p.GroupName != "" && (adminPolicyARN(p.PolicyARN) || adminDocument(p.PolicyDocument)) {
			d.adminGroups[e.Account+"|"+p.GroupName] = true
		}
		return
	}
	if p.UserName == "" {
		if e.Name != "CreateAccessKey" && e.Name != "CreateLoginProfile" {
			d.stats.Undetermined[ruleNewAdminUser.ID]++
		}
		return // a caller's key for itself: not a new user's
	}
	key := e.Account + "|" + p.UserName
	u := d.users[key]
	if u != nil && e.Time.Sub(u.first) > d.cfg.NewUserWindow {
		delete(d.users, key)
		u = nil
	}
	if u == nil {
		u = &newUser{first: e.Time}
	}
	s := supportOf(e)
	switch e.Name {
	case "CreateUser":
		if u.created == nil {
			u.created = &s
		}
	case "CreateAccessKey", "CreateLoginProfile":
		if u.cred == nil {
			u.cred = &s
		}
	case "AttachUserPolicy":
		if adminPolicyARN(p.PolicyARN) && u.admin == nil {
			u.admin, u.adminHow = &s, "attached "+p.PolicyARN
		}
	case "PutUserPolicy":
		if p.PolicyDocument == "" {
			d.stats.Undetermined[ruleNewAdminUser.ID]++
		} else if adminDocument(p.PolicyDocument) && u.admin == nil {
			u.admin, u.adminHow = &s, "inline policy allowing * on *"
		}
	case "AddUserToGroup":
		if (d.adminGroups[e.Account+"|"+p.GroupName] || slices.Contains(d.cfg.AdminGroups, p.GroupName)) && u.admin == nil {
			u.admin, u.adminHow = &s, "added to administrator group "+p.GroupName
		}
	}
	if u.created == nil && u.cred == nil && u.admin == nil {
		return // nothing about a new user: keep no state
	}
	d.users[key] = u
	if u.fired || u.created == nil || u.cred == nil || u.admin == nil {
		return
	}
	u.fired = true
	r := &ruleNewAdminUser
	f := d.emitKey(r, e, p.UserName+"|"+u.created.Time.Format(time.RFC3339), []finding.Evidence{
		{Name: "new user", Value: p.UserName},
		{Name: "credential", Value: strings.TrimPrefix(u.cred.Name, "iam.amazonaws.com:")},
		{Name: "administrator", Value: u.adminHow},
	})
	f.Resource = "arn:aws:iam::" + e.Account + ":user/" + p.UserName
	f.ID = findingID(r.ID, e.Account, f.Resource, u.created.Time.Format(time.RFC3339))
	steps := []Support{*u.created, *u.cred, *u.admin}
	slices.SortStableFunc(steps, func(a, b Support) int { return a.Time.Compare(b.Time) })
	f.Support, f.Events = steps, 3
}

// sweepUsers forgets the users whose window is over.
func (d *Detector) sweepUsers(now time.Time) {
	for k, u := range d.users {
		if now.Sub(u.first) > d.cfg.NewUserWindow {
			delete(d.users, k)
		}
	}
}
