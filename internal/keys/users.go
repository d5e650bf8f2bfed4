package keys

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/plan/iamplan"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// User retirement: quarantine (reversible: an explicit deny-all policy
// managed by seiri, keys deactivated, the password kept so that restore is
// exact), watch, restore, and delete after a backup that restore-from-backup
// turns back into the same user (new credentials, same name, groups,
// policies and tags).
const (
	// QuarantineTag on a user records its quarantine: "quarantined <time> by <who>".
	QuarantineTag = "seiri:quarantine"
	// QuarantineKeysTag lists the access key ids the quarantine deactivated.
	QuarantineKeysTag = "seiri:quarantine:keys"
	// DenyAllPolicyName is the managed policy seiri attaches to quarantined users.
	DenyAllPolicyName = "seiri-deny-all"
	DenyAllPolicyPath = "/seiri/"
	// DenyAllDocument denies every action: an explicit deny wins over any
	// allow (IAM user guide, "Policy evaluation logic").
	DenyAllDocument = `{"Version":"2012-10-17","Statement":[{"Sid":"SeiriQuarantine","Effect":"Deny","Action":"*","Resource":"*"}]}`
	Quarantined     = State("quarantined")

	PlanQuarantine  = "users.quarantine"
	PlanUserRestore = "users.restore"
	PlanUserDelete  = "users.delete"
	PlanRecreate    = "users.restore-from-backup"
)

// DenyAllARN is the deny-all policy's ARN in an account.
func DenyAllARN(account string) string {
	return "arn:aws:iam::" + account + ":policy" + DenyAllPolicyPath + DenyAllPolicyName
}

// Change kinds of user plans.
const (
	KindCreatePolicy       = iamplan.KindCreatePolicy
	KindAttachUserPolicy   = iamplan.KindAttachUserPolicy
	KindDetachUserPolicy   = iamplan.KindDetachUserPolicy
	KindPutUserPolicy      = iamplan.KindPutUserPolicy
	KindDeleteUserPolicy   = iamplan.KindDeleteUserPolicy
	KindAddUserToGroup     = iamplan.KindAddUserToGroup
	KindRemoveFromGroup    = iamplan.KindRemoveUserFromGroup
	KindDeleteLoginProfile = iamplan.KindDeleteLoginProfile
	KindDeactivateMFA      = iamplan.KindDeactivateMFADevice
	KindDeleteBoundary     = iamplan.KindDeleteUserBoundary
	KindDeleteSigningCert  = iamplan.KindDeleteSigningCert
	KindDeleteSSHKey       = iamplan.KindDeleteSSHPublicKey
	KindDeleteServiceCred  = iamplan.KindDeleteServiceCred
	KindDeleteUser         = iamplan.KindDeleteUser
	KindCreateUser         = iamplan.KindCreateUser
)

// UserCandidate is an IAM user that looks inactive.
type UserCandidate struct {
	Account      string     `json:"account"`
	User         string     `json:"user"`
	UserARN      string     `json:"userArn"`
	LastActivity *time.Time `json:"lastActivity,omitempty"`
	Evidence     []Evidence `json:"evidence"`
	Coverage     Coverage   `json:"coverage"`
	ActiveKeys   []string   `json:"activeKeys,omitempty"`
	Refused      string     `json:"refused,omitempty"`
}

// UserResult of the inactive-users analysis.
type UserResult struct {
	Candidates []UserCandidate `json:"candidates"`
	Excluded   []Excluded      `json:"excluded,omitempty"`
	// Unjudged are the accounts whose users could not be judged (imported:
	// key activity unknown), why, and what to run.
	Unjudged []AccountGap `json:"unjudged,omitempty"`
	// Logs is the CloudTrail log coverage of the window per account.
	Logs []AccountLogs `json:"logCoverage,omitempty"`
}

// UserCandidates finds users with no activity in opt.UnusedDays by any
// source: console password, every access key (as Candidates judges keys),
// CloudTrail events of the user (in.PrincipalUsage), Access Advisor.
func UserCandidates(in Input, opt Options) UserResult {
	var res UserResult
	cutoff := in.Now.AddDate(0, 0, -opt.UnusedDays)
	days, logs := in.scannedDays(opt.UnusedDays)
	res.Logs = logs
	cache := newCovCache(in.Snapshot)
	res.Unjudged = EvidenceGaps(in.Snapshot, in.Now)
	for _, a := range in.Snapshot.Accounts {
		if a.KeysUnknown {
			continue
		}
		for ui := range a.Users {
			u := &a.Users[ui]
			if _, ok := u.Tags[QuarantineTag]; ok {
				in.decide("user decision", false, a.AccountID, u.UserName, "", "already quarantined")
				continue
			}
			if why := excluded(in.Config, u, snapshot.AccessKey{}); why != "" {
				in.decide("user decision", false, a.AccountID, u.UserName, "", "excluded: "+why)
				res.Excluded = append(res.Excluded, Excluded{Account: a.AccountID, User: u.UserName, Reason: why})
				continue
			}
			if !u.CreateDate.Before(cutoff) {
				in.decide("user decision", false, a.AccountID, u.UserName, "", "created "+u.CreateDate.UTC().Format(time.RFC3339)+", within --days")
				continue
			}
			c := UserCandidate{Account: a.AccountID, User: u.UserName, UserARN: u.ARN}
			see := func(e Evidence) {
				c.Evidence = append(c.Evidence, e)
				if e.LastUsed != nil && (c.LastActivity == nil || e.LastUsed.After(*c.LastActivity)) {
					t := *e.LastUsed
					c.LastActivity = &t
				}
			}
			pw := Evidence{Source: "console password", LastUsed: u.PasswordLastUsed}
			if u.LoginProfile == nil {
				pw.Detail = "no console password"
			}
			see(pw)
			m := matchSlots(a, u)
			for _, k := range u.AccessKeys {
				if k.Active() {
					c.ActiveKeys = append(c.ActiveKeys, k.AccessKeyID)
				}
				if why := unmatchedRecentSlot(m, k.AccessKeyID, cutoff); why != "" {
					t := in.Now
					see(Evidence{Source: "access key " + k.AccessKeyID, LastUsed: &t, Detail: why})
				}
				for _, e := range evidence(a, u, k, m, in.KeyUsage[k.AccessKeyID], in.scanned()) {
					if e.Source == srcAdvisor {
						continue
					}
					e.Source = k.AccessKeyID + " " + e.Source
					see(e)
				}
			}
			var last *time.Time
			for _, r := range in.PrincipalUsage[u.ARN] {
				// Denied calls are activity too: something still acts as the user.
				if last == nil || r.LastSeen.After(*last) {
					t := r.LastSeen
					last = &t
				}
			}
			if in.scanned() {
				see(Evidence{Source: "CloudTrail (user)", LastUsed: last})
			} else {
				see(Evidence{Source: "CloudTrail (user)", Detail: "no CloudTrail log scanned (run seiri trail scan)", Absent: true})
			}
			aa := Evidence{Source: srcAdvisor, LastUsed: ownerAdvisor(u)}
			if aa.LastUsed == nil && !a.AccessAdvisorCollected {
				aa.Detail, aa.Absent = "the account's Access Advisor was not collected", true
			}
			see(aa)
			if c.LastActivity != nil && !c.LastActivity.Before(cutoff) {
				in.decide("user decision", false, a.AccountID, u.UserName, "", "active "+c.LastActivity.UTC().Format(time.RFC3339)+" per "+lastSource(c.Evidence, *c.LastActivity)+", within --days")
				continue
			}
			c.Coverage = cache.coverage(a, u, days(a.AccountID), opt.UnusedDays)
			c.Refused = userLockout(in, u)
			why := "no activity by any source since " + cutoff.UTC().Format(time.RFC3339)
			if c.Refused != "" {
				why += "; refused: " + c.Refused
			}
			in.decide("user decision", true, a.AccountID, u.UserName, "", why)
			res.Candidates = append(res.Candidates, c)
		}
	}
	sort.SliceStable(res.Candidates, func(i, j int) bool {
		a, b := res.Candidates[i], res.Candidates[j]
		if a.Coverage.Complete() != b.Coverage.Complete() {
			return a.Coverage.Complete()
		}
		return a.Account+a.User < b.Account+b.User
	})
	return res
}

func userLockout(in Input, u *snapshot.User) string {
	if in.Caller.ARN != "" && in.Caller.ARN == u.ARN {
		return "this is the user seiri is running as"
	}
	for _, b := range in.Config.BreakGlassUsers {
		if b == u.UserName || b == u.ARN {
			return "break-glass user " + u.UserName + " (keys.break_glass_users)"
		}
	}
	return ""
}

// QuarantinePlan: per account, the deny-all policy (created once); per
// user, attach it (after a backup), deactivate its active keys, and record
// the quarantine on the user as tags.
func QuarantinePlan(cands []UserCandidate, base, operator string, now time.Time) (*plan.Plan, diag.Diagnostics) {
	var changes []plan.Change
	var refused diag.Diagnostics
	policies := map[string]bool{}
	for _, c := range cands {
		if c.Refused != "" {
			refused = append(refused, refusal(c.Account, c.User, "", c.Refused))
			continue
		}
		arn := DenyAllARN(c.Account)
		if !policies[c.Account] {
			policies[c.Account] = true
			changes = append(changes, iamplan.Wrap(&iamplan.CreatePolicy{Header: iamplan.Header{Account: c.Account, User: "-", NoGuard: true},
				PolicyARN: arn, Name: DenyAllPolicyName, Path: DenyAllPolicyPath, Document: DenyAllDocument,
				Description: "seiri quarantine: denies everything to a user being retired"},
				arn, "create policy "+arn+" (deny everything; seiri's quarantine)"))
		}
		on := iamplan.Header{Account: c.Account, User: c.User, UserScope: true}
		up := func(ch iamplan.Change, target, desc string, notes ...string) {
			changes = append(changes, iamplan.Wrap(ch, target, desc, notes...))
		}
		notes := []string{"last activity: " + lastUsedText(c.LastActivity, now)}
		for _, e := range c.Evidence {
			notes = append(notes, fmt.Sprintf("%s: %s", e.Source, evidenceText(e, now)))
		}
		if !c.Coverage.Complete() {
			notes = append(notes, "coverage: silence may only mean not logged: "+strings.Join(c.Coverage.Gaps, "; "))
		}
		backup := on
		backup.Backup = true
		up(&iamplan.AttachUserPolicy{Header: backup, PolicyARN: arn}, c.UserARN, fmt.Sprintf("attach %s to %s", DenyAllPolicyName, c.User), notes...)
		for _, k := range c.ActiveKeys {
			kh := on
			kh.AccessKeyID = k
			up(&iamplan.UpdateAccessKey{Header: kh, Status: "Inactive"}, k, fmt.Sprintf("disable access key %s of %s", k, c.User))
		}
		if len(c.ActiveKeys) > 0 {
			up(&iamplan.TagUser{Header: on, Key: QuarantineKeysTag, Value: strings.Join(c.ActiveKeys, " "), SameState: true}, c.UserARN, fmt.Sprintf("tag %s %s", c.User, QuarantineKeysTag))
		}
		v := RetireValue(Quarantined, now, operator)
		up(&iamplan.TagUser{Header: on, Key: QuarantineTag, Value: v, SameState: true}, c.UserARN, fmt.Sprintf("tag %s %s=%q", c.User, QuarantineTag, v))
	}
	p := plan.New(PlanQuarantine, now, base, changes)
	p.Diags = append(p.Diags, refused...)
	return p, refused
}

// QuarantinedUser is a user seiri quarantined, read from its live state.
type QuarantinedUser struct {
	Account  string    `json:"account"`
	User     string    `json:"user"`
	UserARN  string    `json:"userArn"`
	Since    time.Time `json:"since"`
	By       string    `json:"by,omitempty"`
	Keys     []string  `json:"keys,omitempty"` // keys the quarantine deactivated
	Problem  string    `json:"problem,omitempty"`
	DenyHeld bool      `json:"denyAttached"`
}

// UserRestorePlan lifts a quarantine: detach deny-all, reactivate the keys
// the quarantine deactivated, remove the tags.
func UserRestorePlan(q QuarantinedUser, now time.Time) *plan.Plan {
	var changes []plan.Change
	on := iamplan.Header{Account: q.Account, User: q.User, UserScope: true}
	add := func(ch iamplan.Change, target, desc string) {
		changes = append(changes, iamplan.Wrap(ch, target, desc))
	}
	add(&iamplan.DetachUserPolicy{Header: on, PolicyARN: DenyAllARN(q.Account)}, q.UserARN, fmt.Sprintf("detach %s from %s", DenyAllPolicyName, q.User))
	for _, k := range q.Keys {
		kh := on
		kh.AccessKeyID = k
		add(&iamplan.UpdateAccessKey{Header: kh, Status: "Active"}, k, fmt.Sprintf("reactivate access key %s of %s", k, q.User))
	}
	add(&iamplan.UntagUser{Header: on, Key: QuarantineKeysTag}, q.UserARN, "untag "+q.User+" "+QuarantineKeysTag)
	add(&iamplan.UntagUser{Header: on, Key: QuarantineTag}, q.UserARN, "untag "+q.User+" "+QuarantineTag)
	return plan.New(PlanUserRestore, now, "", changes)
}

// UserState is everything IAM requires removing before DeleteUser, read live.
type UserState struct {
	Account          string            `json:"account"`
	User             snapshot.User     `json:"user"` // groups, attached and inline policies (with documents), boundary, tags, MFA, login profile
	AccessKeys       []LiveKeyMeta     `json:"accessKeys,omitempty"`
	SigningCerts     []string          `json:"signingCertificates,omitempty"` // ids
	SSHKeys          []string          `json:"sshPublicKeys,omitempty"`       // ids
	ServiceCreds     []string          `json:"serviceSpecificCredentials,omitempty"`
	Tags             map[string]string `json:"-"`
	PasswordLastUsed *time.Time        `json:"-"`
}

// Quarantine reads a user's quarantine from its live state.
func (s *UserState) Quarantine() (*QuarantinedUser, error) {
	v, ok := s.Tags[QuarantineTag]
	if !ok {
		return nil, nil
	}
	q := &QuarantinedUser{Account: s.Account, User: s.User.UserName, UserARN: s.User.ARN}
	st, at, by, err := ParseRetire(v)
	if err == nil && st != Quarantined {
		err = fmt.Errorf("%s=%q: not a quarantine", QuarantineTag, trim(v))
	}
	if err != nil {
		q.Problem = err.Error()
	}
	q.Since, q.By = at, by
	q.Keys = strings.Fields(s.Tags[QuarantineKeysTag])
	for _, p := range s.User.AttachedPolicies {
		if p.PolicyARN == DenyAllARN(s.Account) {
			q.DenyHeld = true
		}
	}
	return q, nil
}

// UserDeletePlan removes everything IAM requires before DeleteUser, in the
// order the IAM user guide gives ("Deleting an IAM user (AWS API)"): login
// profile, access keys, signing certificates, SSH keys, service-specific
// credentials, MFA devices, inline policies, attached policies, group
// memberships, then the boundary and the user.
func UserDeletePlan(s *UserState, now time.Time, notes []string) *plan.Plan {
	var changes []plan.Change
	u := s.User
	on := iamplan.Header{Account: s.Account, User: u.UserName, UserScope: true}
	add := func(ch iamplan.Change, target, desc string) {
		changes = append(changes, iamplan.Wrap(ch, target, desc))
	}
	if u.LoginProfile != nil {
		created := u.LoginProfile.CreateDate
		add(&iamplan.DeleteLoginProfile{Header: on, Before: &created}, u.ARN, "delete console password of "+u.UserName)
	}
	for _, k := range s.AccessKeys {
		kh := on
		kh.AccessKeyID = k.AccessKeyID
		add(&iamplan.DeleteAccessKey{Header: kh, Before: k.Status}, k.AccessKeyID, fmt.Sprintf("delete access key %s of %s", k.AccessKeyID, u.UserName))
	}
	for _, id := range s.SigningCerts {
		add(&iamplan.DeleteSigningCert{Header: on, CertificateID: id}, id, "delete signing certificate "+id)
	}
	for _, id := range s.SSHKeys {
		add(&iamplan.DeleteSSHPublicKey{Header: on, SSHPublicKeyID: id}, id, "delete SSH public key "+id)
	}
	for _, id := range s.ServiceCreds {
		add(&iamplan.DeleteServiceCred{Header: on, CredentialID: id}, id, "delete service-specific credential "+id)
	}
	for _, d := range u.MFADevices {
		enabled := d.EnableDate
		add(&iamplan.DeactivateMFADevice{Header: on, SerialNumber: d.SerialNumber, Before: &enabled}, d.SerialNumber, "deactivate MFA device "+d.SerialNumber)
	}
	for _, p := range u.InlinePolicies {
		add(&iamplan.DeleteUserPolicy{Header: on, PolicyName: p.PolicyName, Before: string(p.Document)}, u.ARN, fmt.Sprintf("delete inline policy %s of %s", p.PolicyName, u.UserName))
	}
	for _, p := range u.AttachedPolicies {
		add(&iamplan.DetachUserPolicy{Header: on, PolicyARN: p.PolicyARN}, u.ARN, fmt.Sprintf("detach %s from %s", p.PolicyName, u.UserName))
	}
	for _, g := range u.Groups {
		add(&iamplan.RemoveUserFromGroup{Header: on, GroupName: g}, u.ARN, fmt.Sprintf("remove %s from group %s", u.UserName, g))
	}
	if u.PermissionsBoundary != "" {
		add(&iamplan.DeleteUserBoundary{Header: on, PolicyARN: u.PermissionsBoundary}, u.ARN, "remove permissions boundary of "+u.UserName)
	}
	add(&iamplan.DeleteUser{Header: on, Before: u.UserID}, u.ARN, "delete user "+u.UserName)
	if len(changes) > 0 {
		changes[0].Notes = notes
	}
	return plan.New(PlanUserDelete, now, "", changes)
}

// RecreatePlan turns a backup back into the same user: name, path,
// boundary, tags, groups, managed and inline policies. Passwords and access
// keys are never in a backup: new ones are made by the operator.
func RecreatePlan(b *UserBackup, now time.Time) (*plan.Plan, error) {
	u := b.User
	if b.Kind != "iam-user" || u.UserName == "" || b.Account == "" {
		return nil, fmt.Errorf("backup is not an IAM user backup (kind %q, user %q, account %q)", trim(b.Kind), trim(u.UserName), trim(b.Account))
	}
	var changes []plan.Change
	on := iamplan.Header{Account: b.Account, User: u.UserName, UserScope: true, NoGuard: true}
	add := func(ch iamplan.Change, desc string) { changes = append(changes, iamplan.Wrap(ch, u.ARN, desc)) }
	tags := map[string]string{}
	for k, v := range u.Tags {
		if !strings.HasPrefix(k, "seiri:") {
			tags[k] = v
		}
	}
	add(&iamplan.CreateUser{Header: on, Path: u.Path, Tags: tags, Boundary: u.PermissionsBoundary}, "create user "+u.UserName+" (path "+u.Path+")")
	for _, g := range u.Groups {
		add(&iamplan.AddUserToGroup{Header: on, GroupName: g}, fmt.Sprintf("add %s to group %s", u.UserName, g))
	}
	for _, p := range u.AttachedPolicies {
		if p.PolicyARN == DenyAllARN(b.Account) {
			continue
		}
		add(&iamplan.AttachUserPolicy{Header: on, PolicyARN: p.PolicyARN}, fmt.Sprintf("attach %s to %s", p.PolicyName, u.UserName))
	}
	for _, p := range u.InlinePolicies {
		add(&iamplan.PutUserPolicy{Header: on, PolicyName: p.PolicyName, Document: string(p.Document)}, fmt.Sprintf("put inline policy %s on %s", p.PolicyName, u.UserName))
	}
	p := plan.New(PlanRecreate, now, "", changes)
	p.Warn("users.no-credentials", "passwords and access keys are never backed up: create new ones for "+u.UserName+" after the restore")
	return p, nil
}

// UserWatchInput is what the watch of one quarantined user reads.
type UserWatchInput struct {
	User QuarantinedUser
	// State is the live state (nil: the user is gone).
	State *UserState
	Err   string
	// Rows are the user's usage rows (any time) and FailedRows the account's
	// error rows since the quarantine.
	Rows, FailedRows []usage.Row
	Now              time.Time
	Window           int
	// Evidence is what the logs and the snapshot cover (nil: no usage
	// store, nothing covered).
	Evidence *WatchEvidence
}

// WatchUser judges a quarantined user like Watch judges a key: any call by
// the user since the quarantine (the deny-all makes them fail with
// AccessDenied, logged under the user), failed calls from its keys'
// fingerprint, a console sign-in, or drift (deny-all detached, a
// quarantined key active again, the user gone).
func WatchUser(in UserWatchInput) WatchResult {
	q := in.User
	res := WatchResult{Key: Tracked{Account: q.Account, User: q.User, UserARN: q.UserARN, State: Quarantined, Since: q.Since, By: q.By}, Verdict: Quiet}
	res.DaysLeft = max(0, int((q.Since.AddDate(0, 0, in.Window).Sub(in.Now)+24*time.Hour-1)/(24*time.Hour)))
	s1 := Signal{Name: "CloudTrail events of the user since quarantine"}
	var n int64
	var what []string
	for _, r := range in.Rows {
		if !r.LastSeen.Before(q.Since) {
			n += r.Count
			code := r.ErrorCode
			if code == "" {
				code = "success"
			}
			what = usage.MergeSet(what, []string{r.Action + " " + code}, 5)
		}
	}
	if n > 0 {
		s1.Found, s1.Noisy = fmt.Sprintf("%d events: %s", n, strings.Join(what, ", ")), true
	}
	fp := FingerprintOf(in.Rows, q.Since)
	s2 := Signal{Name: "failed calls from the user's fingerprint (source IPs)"}
	for _, r := range in.FailedRows {
		if r.Principal == q.UserARN || r.LastSeen.Before(q.Since) || !IsAuthFailure(r.ErrorCode) {
			continue
		}
		if ip := intersect(r.SourceIPs, fp.SourceIPs); len(ip) > 0 {
			s2.Found, s2.Noisy = fmt.Sprintf("%s %s ×%d from %s", r.Action, r.ErrorCode, r.Count, strings.Join(ip, ",")), true
		}
	}
	s3 := Signal{Name: "IAM state (deny-all attached, quarantined keys inactive, console sign-in)"}
	switch {
	case in.Err != "":
		s3.Found = "could not read: " + in.Err
	case in.State == nil:
		s3.Found = "the user no longer exists (deleted outside seiri)"
		res.Verdict = Drifted
	default:
		var drift []string
		qq, _ := in.State.Quarantine()
		if qq == nil || !qq.DenyHeld {
			drift = append(drift, DenyAllPolicyName+" detached")
		}
		for _, k := range in.State.AccessKeys {
			if k.Status == "Active" {
				drift = append(drift, "access key "+k.AccessKeyID+" active")
			}
		}
		if len(drift) > 0 {
			s3.Found = strings.Join(drift, "; ") + " (changed outside seiri)"
			res.Verdict = Drifted
		} else if in.State.PasswordLastUsed != nil && in.State.PasswordLastUsed.After(q.Since) {
			s3.Found, s3.Noisy = "console sign-in at "+in.State.PasswordLastUsed.UTC().Format(time.RFC3339), true
		}
	}
	s4 := in.Evidence.advisorSignal(q.Since, q.User)
	if s4.Found != "" && strings.Contains(s4.Found, "accessed a service") {
		s4.Noisy = true // quarantined: every credential of the user is denied or inactive
	}
	res.Signals = []Signal{s1, s2, s3, s4}
	switch {
	case res.Verdict == Drifted:
		res.Recommendation = "stop: the user was changed outside seiri; find out why before going on"
	case s1.Noisy || s2.Noisy || s3.Noisy || s4.Noisy:
		res.Verdict, res.Recommendation = Noisy, "restore: seiri users retire restore "+q.User
	case in.Err != "":
		res.Verdict, res.Recommendation = Noisy, "could not check the user's live state; not safe to delete"
	case res.DaysLeft > 0:
		res.Recommendation = fmt.Sprintf("keep watching (%d days left)", res.DaysLeft)
	default:
		res.Recommendation = "ready to delete: seiri users retire delete"
	}
	judgeCoverage(&res, in.Evidence, q.Account, q.Since, in.Now, []int{0, 1})
	if res.Verdict == Unwatched {
		res.Recommendation = strings.Replace(res.Recommendation, "delete refuses", "users retire delete refuses", 1)
	}
	return res
}
