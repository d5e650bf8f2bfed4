// Package orgexec is the only code that writes to AWS Organizations: the
// executor of organization plans (internal/org makes them).
package orgexec

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"
	"github.com/aws/smithy-go"

	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// OrganizationsAPI is the part of the Organizations client apply uses.
type OrganizationsAPI interface {
	CreateOrganizationalUnit(context.Context, *organizations.CreateOrganizationalUnitInput, ...func(*organizations.Options)) (*organizations.CreateOrganizationalUnitOutput, error)
	DeleteOrganizationalUnit(context.Context, *organizations.DeleteOrganizationalUnitInput, ...func(*organizations.Options)) (*organizations.DeleteOrganizationalUnitOutput, error)
	CreatePolicy(context.Context, *organizations.CreatePolicyInput, ...func(*organizations.Options)) (*organizations.CreatePolicyOutput, error)
	UpdatePolicy(context.Context, *organizations.UpdatePolicyInput, ...func(*organizations.Options)) (*organizations.UpdatePolicyOutput, error)
	DeletePolicy(context.Context, *organizations.DeletePolicyInput, ...func(*organizations.Options)) (*organizations.DeletePolicyOutput, error)
	AttachPolicy(context.Context, *organizations.AttachPolicyInput, ...func(*organizations.Options)) (*organizations.AttachPolicyOutput, error)
	DetachPolicy(context.Context, *organizations.DetachPolicyInput, ...func(*organizations.Options)) (*organizations.DetachPolicyOutput, error)
	MoveAccount(context.Context, *organizations.MoveAccountInput, ...func(*organizations.Options)) (*organizations.MoveAccountOutput, error)
	CreateAccount(context.Context, *organizations.CreateAccountInput, ...func(*organizations.Options)) (*organizations.CreateAccountOutput, error)
	DescribeCreateAccountStatus(context.Context, *organizations.DescribeCreateAccountStatusInput, ...func(*organizations.Options)) (*organizations.DescribeCreateAccountStatusOutput, error)
	TagResource(context.Context, *organizations.TagResourceInput, ...func(*organizations.Options)) (*organizations.TagResourceOutput, error)
}

// Executor applies organization changes (plan.Executor). It keeps a mirror
// of the live organization, read once when the run starts and updated after
// each write, to resolve the ids of things the plan created earlier and to
// tell whether a change is already in effect (a re-run or a resume after a
// crash changes nothing twice).
type Executor struct {
	API OrganizationsAPI
	// Live is the organization as read at the start of the run; the
	// executor updates it as it writes.
	Live *snapshot.Organization
	// Retries is how many times a call is retried after
	// ConcurrentModificationException or TooManyRequestsException
	// (default 8); Backoff the first wait (default 1 s, doubling, capped at
	// 30 s); PollEvery the wait between org.CreateAccount status polls (default
	// 10 s) and MaxPolls their number (default 120).
	Retries   int
	Backoff   time.Duration
	PollEvery time.Duration
	MaxPolls  int
	// Sleep waits (tests replace it); nil: a timer honouring ctx.
	Sleep func(ctx context.Context, d time.Duration) error
	// Retried counts retried calls, for the summary.
	Retried int
	// BackupDir, when set, receives what a delete removes (a policy with its
	// content and targets, an OU with its parent and policies) before the
	// call, so it can be recreated. Now stamps the backup files.
	BackupDir string
	Now       func() time.Time
}

func (e *Executor) backup(name string, v any) (string, error) {
	if e.BackupDir == "" {
		return "", nil
	}
	now := time.Now().UTC()
	if e.Now != nil {
		now = e.Now()
	}
	p, err := plan.WriteBackup(e.BackupDir, name, now, v)
	if err != nil {
		return "", fmt.Errorf("backup before delete: %w", err)
	}
	return "; backup " + p, nil
}

func (e *Executor) sleep(ctx context.Context, d time.Duration) error {
	if e.Sleep != nil {
		return e.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}

// retryable reports the errors Organizations asks to retry: concurrent
// changes to one entity and its rate limit (Organizations API reference,
// "Common errors" and each operation's ConcurrentModificationException /
// TooManyRequestsException).
func retryable(err error) bool {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		switch ae.ErrorCode() {
		case "ConcurrentModificationException", "TooManyRequestsException":
			return true
		}
	}
	return false
}

// summary renders an AWS error as "Code: message" (never credentials).
func summary(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		if m := ae.ErrorMessage(); m != "" {
			return ae.ErrorCode() + ": " + m
		}
		return ae.ErrorCode()
	}
	return err.Error()
}

// call runs f, retrying the errors Organizations asks to retry.
func (e *Executor) call(ctx context.Context, op string, f func() error) error {
	retries, wait := e.Retries, e.Backoff
	if retries <= 0 {
		retries = 8
	}
	if wait <= 0 {
		wait = time.Second
	}
	for i := 0; ; i++ {
		err := f()
		if err == nil {
			return nil
		}
		if !retryable(err) || i >= retries {
			return fmt.Errorf("organizations %s: %s", op, summary(err))
		}
		e.Retried++
		if err := e.sleep(ctx, wait); err != nil {
			return err
		}
		if wait *= 2; wait > 30*time.Second {
			wait = 30 * time.Second
		}
	}
}

// state is the mirror as a org.State (paths, ids).
func (e *Executor) state() (*org.State, error) { return org.FromSnapshot(e.Live) }

func decode(c plan.Change) (org.Change, error) {
	ch, err := org.UnmarshalChange(c.Params)
	if err != nil {
		return nil, fmt.Errorf("change %s: %w", c.ID, err)
	}
	return ch, nil
}

// InEffect implements plan.Executor.
func (e *Executor) InEffect(ctx context.Context, pc plan.Change) (bool, error) {
	c, err := decode(pc)
	if err != nil {
		return false, err
	}
	s, err := e.state()
	if err != nil {
		return false, err
	}
	switch ch := c.(type) {
	case *org.CreateOU:
		return s.OUs[ch.Path] != nil, nil
	case *org.CreatePolicy:
		return s.Policies[org.PolicyKey(ch.Type, ch.Name)] != nil, nil
	case *org.UpdatePolicy:
		p := s.Policies[org.PolicyKey(ch.Type, ch.Name)]
		if p == nil {
			return false, fmt.Errorf("%s: policy %q no longer exists", ch.Describe(), ch.Name)
		}
		return org.SameContent(p.Content, ch.Content) && p.Description == ch.Description, nil
	case *org.AttachPolicy:
		return s.Attachments[e.resolveKey(s, ch.TargetKey)][org.PolicyKey(ch.PolicyType, ch.PolicyName)], nil
	case *org.DetachPolicy:
		return !s.Attachments[e.resolveKey(s, ch.TargetKey)][org.PolicyKey(ch.PolicyType, ch.PolicyName)], nil
	case *org.CreateAccount:
		// Created, moved and tagged: a crash between those steps leaves
		// work that Apply finishes without creating the account again.
		a := accountByEmail(s, ch.Email)
		return a != nil && a.Parent == ch.ParentPath && e.tagged(a.ID, ch.Tags), nil
	case *org.MoveAccount:
		a := s.Accounts[ch.AccountID]
		if a == nil {
			return false, fmt.Errorf("%s: account %s is not in the organization", ch.Describe(), ch.AccountID)
		}
		return a.Parent == ch.To, nil
	case *org.DeleteOU:
		return s.OUs[ch.Path] == nil, nil
	case *org.DeletePolicy:
		return s.Policies[org.PolicyKey(ch.Type, ch.Name)] == nil, nil
	}
	return false, fmt.Errorf("change %s: kind %s cannot be applied", pc.ID, pc.Kind)
}

// tagged reports whether the live account carries every tag.
func (e *Executor) tagged(id string, tags map[string]string) bool {
	for _, a := range e.Live.Accounts {
		if a.ID != id {
			continue
		}
		for k, v := range tags {
			if a.Tags[k] != v {
				return false
			}
		}
		return true
	}
	return false
}

func accountByEmail(s *org.State, email string) *org.AccountState {
	for _, a := range s.Accounts {
		if strings.EqualFold(a.Email, email) {
			return a
		}
	}
	return nil
}

// resolveKey turns account:new:EMAIL into account:ID once created.
func (e *Executor) resolveKey(s *org.State, key string) string {
	if em, ok := strings.CutPrefix(key, "account:new:"); ok {
		if a := accountByEmail(s, em); a != nil {
			return org.AccountTarget(a.ID)
		}
	}
	return key
}

// targetID returns the AWS id of a target key in the mirror.
func (e *Executor) targetID(s *org.State, key string) (string, error) {
	key = e.resolveKey(s, key)
	switch {
	case key == org.RootTarget:
		return s.RootID, nil
	case strings.HasPrefix(key, "ou:"):
		if ou := s.OUs[key[3:]]; ou != nil {
			return ou.ID, nil
		}
	case strings.HasPrefix(key, "account:"):
		if a := s.Accounts[key[8:]]; a != nil {
			return a.ID, nil
		}
	}
	return "", fmt.Errorf("target %s does not exist in the organization", org.TargetName(key))
}

func (e *Executor) parentID(s *org.State, path string) (string, error) {
	if path == "" {
		return s.RootID, nil
	}
	if ou := s.OUs[path]; ou != nil {
		return ou.ID, nil
	}
	return "", fmt.Errorf("OU %s does not exist in the organization", path)
}

func (e *Executor) policyID(s *org.State, t org.PolicyType, name string) (string, error) {
	if p := s.Policies[org.PolicyKey(t, name)]; p != nil {
		return p.ID, nil
	}
	return "", fmt.Errorf("%s %q does not exist in the organization", org.ShortType(t), name)
}

// Apply implements plan.Executor: one step per change kind.
func (e *Executor) Apply(ctx context.Context, pc plan.Change) (string, error) {
	c, err := decode(pc)
	if err != nil {
		return "", err
	}
	s, err := e.state()
	if err != nil {
		return "", err
	}
	switch ch := c.(type) {
	case *org.CreateOU:
		return e.createOU(ctx, s, ch)
	case *org.CreatePolicy:
		return e.createPolicy(ctx, ch)
	case *org.UpdatePolicy:
		return e.updatePolicy(ctx, s, ch)
	case *org.AttachPolicy:
		return e.attachDetach(ctx, s, ch.PolicyType, ch.PolicyName, ch.TargetKey, true)
	case *org.DetachPolicy:
		return e.attachDetach(ctx, s, ch.PolicyType, ch.PolicyName, ch.TargetKey, false)
	case *org.CreateAccount:
		return e.createAccount(ctx, s, ch)
	case *org.MoveAccount:
		return e.moveAccount(ctx, s, ch)
	case *org.DeleteOU:
		return e.deleteOU(ctx, s, ch)
	case *org.DeletePolicy:
		return e.deletePolicy(ctx, s, ch)
	}
	return "", fmt.Errorf("change %s: kind %s cannot be applied", pc.ID, pc.Kind)
}

func (e *Executor) createOU(ctx context.Context, s *org.State, ch *org.CreateOU) (string, error) {
	pid, err := e.parentID(s, org.ParentOf(ch.Path))
	if err != nil {
		return "", err
	}
	var out *organizations.CreateOrganizationalUnitOutput
	if err := e.call(ctx, "CreateOrganizationalUnit", func() (err error) {
		out, err = e.API.CreateOrganizationalUnit(ctx, &organizations.CreateOrganizationalUnitInput{ParentId: aws.String(pid), Name: aws.String(ch.Name)})
		return err
	}); err != nil {
		return "", err
	}
	id := aws.ToString(out.OrganizationalUnit.Id)
	e.Live.OUs = append(e.Live.OUs, snapshot.OU{ID: id, Name: ch.Name, ParentID: pid, ARN: aws.ToString(out.OrganizationalUnit.Arn)})
	// AWS attaches org.FullAWSAccess to a new OU.
	e.attachManagedFull(id)
	return "created OU " + id, nil
}

func (e *Executor) createPolicy(ctx context.Context, ch *org.CreatePolicy) (string, error) {
	var out *organizations.CreatePolicyOutput
	if err := e.call(ctx, "CreatePolicy", func() (err error) {
		out, err = e.API.CreatePolicy(ctx, &organizations.CreatePolicyInput{Name: aws.String(ch.Name), Type: orgtypes.PolicyType(ch.Type),
			Description: aws.String(ch.Description), Content: aws.String(ch.Content)})
		return err
	}); err != nil {
		return "", err
	}
	id := aws.ToString(out.Policy.PolicySummary.Id)
	e.Live.Policies = append(e.Live.Policies, snapshot.OrgPolicy{ID: id, Name: ch.Name, Type: string(ch.Type), Description: ch.Description, Content: ch.Content, Targets: []string{}})
	return "created policy " + id, nil
}

func (e *Executor) updatePolicy(ctx context.Context, s *org.State, ch *org.UpdatePolicy) (string, error) {
	id, err := e.policyID(s, ch.Type, ch.Name)
	if err != nil {
		return "", err
	}
	if err := e.call(ctx, "UpdatePolicy", func() error {
		_, err := e.API.UpdatePolicy(ctx, &organizations.UpdatePolicyInput{PolicyId: aws.String(id), Content: aws.String(ch.Content), Description: aws.String(ch.Description)})
		return err
	}); err != nil {
		return "", err
	}
	if p := e.livePolicy(id); p != nil {
		p.Content, p.Description = ch.Content, ch.Description
	}
	return "updated policy " + id, nil
}

// attachDetach attaches (or detaches) the policy name of type pt to (from)
// the target key.
func (e *Executor) attachDetach(ctx context.Context, s *org.State, pt org.PolicyType, name, key string, attach bool) (string, error) {
	pid, err := e.policyID(s, pt, name)
	if err != nil {
		return "", err
	}
	tid, err := e.targetID(s, key)
	if err != nil {
		return "", err
	}
	op := "DetachPolicy"
	if attach {
		op = "AttachPolicy"
	}
	if err := e.call(ctx, op, func() error {
		var err error
		if attach {
			_, err = e.API.AttachPolicy(ctx, &organizations.AttachPolicyInput{PolicyId: aws.String(pid), TargetId: aws.String(tid)})
		} else {
			_, err = e.API.DetachPolicy(ctx, &organizations.DetachPolicyInput{PolicyId: aws.String(pid), TargetId: aws.String(tid)})
		}
		return err
	}); err != nil {
		return "", err
	}
	p := e.livePolicy(pid)
	if attach {
		p.Targets = append(p.Targets, tid)
		return fmt.Sprintf("attached %s to %s", pid, tid), nil
	}
	p.Targets = remove(p.Targets, tid)
	return fmt.Sprintf("detached %s from %s", pid, tid), nil
}

func (e *Executor) moveAccount(ctx context.Context, s *org.State, ch *org.MoveAccount) (string, error) {
	from, err := e.parentID(s, ch.From)
	if err != nil {
		return "", err
	}
	to, err := e.parentID(s, ch.To)
	if err != nil {
		return "", err
	}
	if a := s.Accounts[ch.AccountID]; a != nil && a.Parent != ch.From {
		// Moved by someone else since the plan: move from where it is.
		if from, err = e.parentID(s, a.Parent); err != nil {
			return "", err
		}
	}
	if err := e.move(ctx, ch.AccountID, from, to); err != nil {
		return "", err
	}
	return fmt.Sprintf("moved %s from %s to %s", ch.AccountID, from, to), nil
}

func (e *Executor) deleteOU(ctx context.Context, s *org.State, ch *org.DeleteOU) (string, error) {
	id, err := e.parentID(s, ch.Path)
	if err != nil {
		return "", err
	}
	var policies []string
	for k := range s.Attachments[org.OUTarget(ch.Path)] {
		policies = append(policies, k)
	}
	bk, err := e.backup("org-ou-"+ch.Path, map[string]any{"kind": "organizational-unit", "id": id, "path": ch.Path, "policies": policies})
	if err != nil {
		return "", err
	}
	if err := e.call(ctx, "DeleteOrganizationalUnit", func() error {
		_, err := e.API.DeleteOrganizationalUnit(ctx, &organizations.DeleteOrganizationalUnitInput{OrganizationalUnitId: aws.String(id)})
		return err
	}); err != nil {
		return "", err
	}
	o := e.Live
	var keep []snapshot.OU
	for _, u := range o.OUs {
		if u.ID != id {
			keep = append(keep, u)
		}
	}
	o.OUs = keep
	for i := range o.Policies {
		o.Policies[i].Targets = remove(o.Policies[i].Targets, id)
	}
	return "deleted OU " + id + bk, nil
}

func (e *Executor) deletePolicy(ctx context.Context, s *org.State, ch *org.DeletePolicy) (string, error) {
	id, err := e.policyID(s, ch.Type, ch.Name)
	if err != nil {
		return "", err
	}
	bk, err := e.backup("org-policy-"+ch.Name, map[string]any{"kind": "policy", "policy": *e.livePolicy(id)})
	if err != nil {
		return "", err
	}
	if err := e.call(ctx, "DeletePolicy", func() error {
		_, err := e.API.DeletePolicy(ctx, &organizations.DeletePolicyInput{PolicyId: aws.String(id)})
		return err
	}); err != nil {
		return "", err
	}
	var keep []snapshot.OrgPolicy
	for _, p := range e.Live.Policies {
		if p.ID != id {
			keep = append(keep, p)
		}
	}
	e.Live.Policies = keep
	return "deleted policy " + id + bk, nil
}

func (e *Executor) move(ctx context.Context, account, from, to string) error {
	if err := e.call(ctx, "MoveAccount", func() error {
		_, err := e.API.MoveAccount(ctx, &organizations.MoveAccountInput{AccountId: aws.String(account), SourceParentId: aws.String(from), DestinationParentId: aws.String(to)})
		return err
	}); err != nil {
		return err
	}
	for i := range e.Live.Accounts {
		if e.Live.Accounts[i].ID == account {
			e.Live.Accounts[i].ParentID = to
		}
	}
	return nil
}

// createAccount creates the account (or finds it from an earlier,
// interrupted run), polls until it exists, moves it into its OU and tags it.
func (e *Executor) createAccount(ctx context.Context, s *org.State, ch *org.CreateAccount) (string, error) {
	parent, err := e.parentID(s, ch.ParentPath)
	if err != nil {
		return "", err
	}
	id := ""
	if a := accountByEmail(s, ch.Email); a != nil {
		id = a.ID // created by an interrupted run: move and tag it
	} else {
		var tags []orgtypes.Tag
		for _, k := range org.SortedKeys(ch.Tags) {
			tags = append(tags, orgtypes.Tag{Key: aws.String(k), Value: aws.String(ch.Tags[k])})
		}
		var out *organizations.CreateAccountOutput
		if err := e.call(ctx, "CreateAccount", func() (err error) {
			out, err = e.API.CreateAccount(ctx, &organizations.CreateAccountInput{AccountName: aws.String(ch.Name), Email: aws.String(ch.Email), Tags: tags})
			return err
		}); err != nil {
			return "", err
		}
		// org.CreateAccount is asynchronous: poll DescribeCreateAccountStatus
		// until SUCCEEDED or FAILED (Organizations API reference, org.CreateAccount).
		req := aws.ToString(out.CreateAccountStatus.Id)
		every, max := e.PollEvery, e.MaxPolls
		if every <= 0 {
			every = 10 * time.Second
		}
		if max <= 0 {
			max = 120
		}
		for i := 0; ; i++ {
			var st *organizations.DescribeCreateAccountStatusOutput
			if err := e.call(ctx, "DescribeCreateAccountStatus", func() (err error) {
				st, err = e.API.DescribeCreateAccountStatus(ctx, &organizations.DescribeCreateAccountStatusInput{CreateAccountRequestId: aws.String(req)})
				return err
			}); err != nil {
				return "", err
			}
			cs := st.CreateAccountStatus
			if cs.State == orgtypes.CreateAccountStateSucceeded {
				id = aws.ToString(cs.AccountId)
				break
			}
			if cs.State == orgtypes.CreateAccountStateFailed {
				return "", fmt.Errorf("create account %q <%s>: request %s failed: %s", ch.Name, ch.Email, req, cs.FailureReason)
			}
			if i+1 >= max {
				return "", fmt.Errorf("create account %q <%s>: request %s still %s after %d polls; run apply again later", ch.Name, ch.Email, req, cs.State, max)
			}
			if err := e.sleep(ctx, every); err != nil {
				return "", err
			}
		}
		e.Live.Accounts = append(e.Live.Accounts, snapshot.OrgAccount{ID: id, Name: ch.Name, Email: ch.Email, Status: "ACTIVE", ParentID: s.RootID, Tags: ch.Tags})
		e.attachManagedFull(id)
	}
	cur := s.RootID
	for _, a := range e.Live.Accounts {
		if a.ID == id {
			cur = a.ParentID
		}
	}
	if cur != parent {
		if err := e.move(ctx, id, cur, parent); err != nil {
			return "", fmt.Errorf("account %s created, but: %w", id, err)
		}
	}
	if len(ch.Tags) > 0 {
		var tags []orgtypes.Tag
		for _, k := range org.SortedKeys(ch.Tags) {
			tags = append(tags, orgtypes.Tag{Key: aws.String(k), Value: aws.String(ch.Tags[k])})
		}
		if err := e.call(ctx, "TagResource", func() error {
			_, err := e.API.TagResource(ctx, &organizations.TagResourceInput{ResourceId: aws.String(id), Tags: tags})
			return err
		}); err != nil {
			return "", fmt.Errorf("account %s created and moved, but: %w", id, err)
		}
		for i := range e.Live.Accounts {
			if a := &e.Live.Accounts[i]; a.ID == id {
				if a.Tags == nil {
					a.Tags = map[string]string{}
				}
				for k, v := range ch.Tags {
					a.Tags[k] = v
				}
			}
		}
	}
	return fmt.Sprintf("created account %s in %s", id, parent), nil
}

func (e *Executor) livePolicy(id string) *snapshot.OrgPolicy {
	for i := range e.Live.Policies {
		if e.Live.Policies[i].ID == id {
			return &e.Live.Policies[i]
		}
	}
	return &snapshot.OrgPolicy{}
}

func (e *Executor) attachManagedFull(target string) {
	for i := range e.Live.Policies {
		p := &e.Live.Policies[i]
		if p.AWSManaged && p.Type == string(org.SCP) && p.Name == org.FullAWSAccess {
			p.Targets = append(p.Targets, target)
		}
	}
}

func remove(list []string, v string) []string {
	var out []string
	for _, x := range list {
		if x != v {
			out = append(out, x)
		}
	}
	return out
}

// SummaryNote says how many calls were retried, for the apply summary.
func (e *Executor) SummaryNote() string {
	if e.Retried == 0 {
		return ""
	}
	return fmt.Sprintf("(%d calls retried after ConcurrentModification or throttling)", e.Retried)
}
