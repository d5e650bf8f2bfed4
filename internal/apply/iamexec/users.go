// Package iamexec is the only code that writes to IAM: the executors of
// key, user and group plans. Analyses (internal/keys, internal/groups) make
// the plans; the commands hand them to internal/apply with an executor from
// here.
package iamexec

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"

	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/plan/iamplan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// IAM is the IAM client the key and user executors call (an account's
// client from awsclient.Session; tests give clients of the AWS fakes).
type IAM = *iam.Client

// Executor applies key plans to IAM, account by account.
type Executor struct {
	// Clients returns the IAM client of an account.
	Clients func(ctx context.Context, account string) (IAM, error)
	// PlanID and Operator go into the per-user guard tag.
	PlanID, Operator string
	Now              func() time.Time
	// Snapshot and BackupDir: owners are backed up from the snapshot (groups,
	// policies, MFA, login profile presence: never secrets) plus their live
	// keys and tags, before the first change marked Backup.
	Snapshot  *snapshot.Snapshot
	BackupDir string
	// OwnPlans are plan ids of earlier runs from this workspace (its
	// journal). Their guards were left by a crash: the caller holds the
	// workspace lock, so none of them is running now.
	OwnPlans map[string]bool

	guarded  map[string]IAM // account/user → client, users whose guard we hold
	backedUp map[string]string
	failed   map[string]error // account/key → first failure this run
}

func (e *Executor) init() {
	if e.guarded == nil {
		e.guarded, e.backedUp, e.failed = map[string]IAM{}, map[string]string{}, map[string]error{}
	}
	if e.Now == nil {
		e.Now = func() time.Time { return time.Now().UTC() }
	}
}

func decode(c plan.Change) (iamplan.Change, *iamplan.Header, error) {
	ch, err := iamplan.Decode(c)
	if err != nil {
		return nil, nil, err
	}
	h := ch.On()
	if h.User == "" {
		return nil, nil, fmt.Errorf("change %s (%s): parameters name no user", c.ID, c.Kind)
	}
	return ch, h, nil
}

// ErrEarlierFailed: a change of a key is not attempted after an earlier
// change of the same key failed in this run.
var ErrEarlierFailed = errors.New("not attempted: an earlier change of the same key or user failed")

// ErrDrift: IAM holds something else than the change expects (its Before):
// the thing changed since the plan was made, and the change is refused.
var ErrDrift = errors.New("refused: changed since the plan was made")

// InEffect checks the live state of the change's target, and what the
// change expects to find there (Before).
func (e *Executor) InEffect(ctx context.Context, c plan.Change) (bool, error) {
	e.init()
	ch, h, err := decode(c)
	if err != nil {
		return false, err
	}
	if err := e.failed[h.Scope()]; err != nil {
		return false, ErrEarlierFailed
	}
	cl, err := e.Clients(ctx, h.Account)
	if err != nil {
		return false, e.fail(h, err)
	}
	in, err := e.inEffect(ctx, cl, ch)
	if err != nil {
		return false, e.fail(h, err)
	}
	return in, nil
}

func (e *Executor) inEffect(ctx context.Context, cl IAM, ch iamplan.Change) (bool, error) {
	h := ch.On()
	switch x := ch.(type) {
	case *iamplan.UpdateAccessKey:
		k, err := liveKey(ctx, cl, h.User, h.AccessKeyID)
		if err != nil {
			return false, err
		}
		if k == nil {
			return false, fmt.Errorf("access key %s of %s no longer exists", h.AccessKeyID, h.User)
		}
		return string(k.Status) == x.Status, nil
	case *iamplan.DeleteAccessKey:
		k, err := liveKey(ctx, cl, h.User, h.AccessKeyID)
		if err != nil || k == nil {
			return k == nil, err
		}
		if x.Before != "" && string(k.Status) != x.Before {
			return false, fmt.Errorf("%w: access key %s of %s is %s, the plan expects %s", ErrDrift, h.AccessKeyID, h.User, k.Status, x.Before)
		}
		return false, nil
	case *iamplan.TagUser:
		tags, err := userTags(ctx, cl, h.User)
		if err != nil {
			return false, err
		}
		v, ok := tags[x.Key]
		if ok && x.SameState {
			return strings.SplitN(v, " ", 2)[0] == strings.SplitN(x.Value, " ", 2)[0], nil
		}
		return ok && v == x.Value, nil
	case *iamplan.UntagUser:
		tags, err := userTags(ctx, cl, h.User)
		if err != nil {
			return false, err
		}
		_, ok := tags[x.Key]
		return !ok, nil
	}
	return e.userInEffect(ctx, cl, ch)
}

func (e *Executor) fail(h *iamplan.Header, err error) error {
	if _, ok := e.failed[h.Scope()]; !ok {
		e.failed[h.Scope()] = err
	}
	return err
}

// Apply makes the change, after taking the user's guard and, when asked,
// backing the user up.
func (e *Executor) Apply(ctx context.Context, c plan.Change) (string, error) {
	e.init()
	ch, h, err := decode(c)
	if err != nil {
		return "", err
	}
	cl, err := e.Clients(ctx, h.Account)
	if err != nil {
		return "", e.fail(h, err)
	}
	if !h.NoGuard {
		if err := e.guard(ctx, cl, h); err != nil {
			return "", e.fail(h, err)
		}
	}
	detail := ""
	if h.Backup {
		path, err := e.backup(ctx, cl, h)
		if err != nil {
			return "", e.fail(h, fmt.Errorf("backup of %s before changing it: %w", h.User, err))
		}
		detail = "backup " + path + "; "
	}
	user := aws.String(h.User)
	switch x := ch.(type) {
	case *iamplan.UpdateAccessKey:
		_, err = cl.UpdateAccessKey(ctx, &iam.UpdateAccessKeyInput{UserName: user, AccessKeyId: aws.String(h.AccessKeyID), Status: types.StatusType(x.Status)})
		detail += "status " + x.Status
	case *iamplan.DeleteAccessKey:
		_, err = cl.DeleteAccessKey(ctx, &iam.DeleteAccessKeyInput{UserName: user, AccessKeyId: aws.String(h.AccessKeyID)})
		detail += "deleted"
	case *iamplan.TagUser:
		_, err = cl.TagUser(ctx, &iam.TagUserInput{UserName: user, Tags: []types.Tag{{Key: aws.String(x.Key), Value: aws.String(x.Value)}}})
		detail += x.Key + "=" + x.Value
	case *iamplan.UntagUser:
		_, err = cl.UntagUser(ctx, &iam.UntagUserInput{UserName: user, TagKeys: []string{x.Key}})
		detail += "removed " + x.Key
	default:
		var d string
		var ok bool
		d, ok, err = e.userApply(ctx, cl, ch)
		if !ok {
			return "", fmt.Errorf("change %s: kind %q is not a key or user change", c.ID, c.Kind)
		}
		detail += d
	}
	if err != nil {
		return "", e.fail(h, err)
	}
	if c.Kind == iamplan.KindDeleteUser {
		delete(e.guarded, h.Account+"/"+h.User) // the guard tag went with the user
	}
	return detail, nil
}

// ErrUserGuarded is returned when another seiri run holds a user's guard tag.
var ErrUserGuarded = errors.New("another seiri run is changing this user")

// guard takes the per-user guard tag (seiri:lock) unless another run holds
// it: a second operator on another machine, whose workspace lock we cannot see.
func (e *Executor) guard(ctx context.Context, cl IAM, p *iamplan.Header) error {
	id := p.Account + "/" + p.User
	if _, ok := e.guarded[id]; ok {
		return nil
	}
	tags, err := userTags(ctx, cl, p.User)
	if err != nil {
		return err
	}
	if v, ok := tags[keys.GuardTag]; ok && keys.GuardHeld(v, e.PlanID, e.Now()) && !e.OwnPlans[strings.SplitN(v, " ", 2)[0]] {
		return fmt.Errorf("%w: %s carries %s=%q", ErrUserGuarded, p.User, keys.GuardTag, v)
	}
	if _, err := cl.TagUser(ctx, &iam.TagUserInput{UserName: aws.String(p.User),
		Tags: []types.Tag{{Key: aws.String(keys.GuardTag), Value: aws.String(keys.GuardValue(e.PlanID, e.Now(), e.Operator))}}}); err != nil {
		return err
	}
	e.guarded[id] = cl
	return nil
}

// Release removes the guard tags this run took, and guards an earlier,
// crashed run of the same plan left on the plan's other users (a re-run that
// finds every change done never takes them again). Call it after Apply; a
// crash leaves them, and they expire after GuardTTL.
func (e *Executor) Release(ctx context.Context, p *plan.Plan) error {
	e.init()
	var errs []error
	seen := map[string]bool{}
	for _, c := range p.Changes {
		_, pr, err := decode(c)
		if err != nil || pr.NoGuard || seen[pr.Account+"/"+pr.User] {
			continue
		}
		id := pr.Account + "/" + pr.User
		seen[id] = true
		if _, ok := e.guarded[id]; ok {
			continue
		}
		cl, err := e.Clients(ctx, pr.Account)
		if err != nil {
			errs = append(errs, fmt.Errorf("release guard on %s: %w", id, err))
			continue
		}
		tags, err := userTags(ctx, cl, pr.User)
		if isNoSuchEntity(err) {
			continue
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("release guard on %s: %w", id, err))
			continue
		}
		if v, ok := tags[keys.GuardTag]; ok && (strings.HasPrefix(v, e.PlanID+" ") || e.OwnPlans[strings.SplitN(v, " ", 2)[0]]) {
			e.guarded[id] = cl
		}
	}
	for id, cl := range e.guarded {
		user := id[strings.IndexByte(id, '/')+1:]
		if _, err := cl.UntagUser(ctx, &iam.UntagUserInput{UserName: aws.String(user), TagKeys: []string{keys.GuardTag}}); err != nil && !isNoSuchEntity(err) {
			errs = append(errs, fmt.Errorf("release guard on %s: %w", id, err))
			continue
		}
		delete(e.guarded, id)
	}
	return errors.Join(errs...)
}

func (e *Executor) backup(ctx context.Context, cl IAM, p *iamplan.Header) (string, error) {
	id := p.Account + "/" + p.User
	if path, ok := e.backedUp[id]; ok {
		return path, nil
	}
	b := keys.UserBackup{Kind: "iam-user", Account: p.Account, TakenAt: e.Now().UTC(), Operator: e.Operator, PlanID: e.PlanID,
		Reason: "before retiring access key " + p.AccessKeyID}
	if e.Snapshot != nil {
		if a := e.Snapshot.Account(p.Account); a != nil {
			for _, u := range a.Users {
				if u.UserName == p.User {
					b.User = u
				}
			}
		}
	}
	b.User.AccessAdvisor = nil // usage, not configuration
	if b.User.UserName == "" {
		b.User.UserName = p.User
	}
	ks, err := listKeys(ctx, cl, p.User)
	if err != nil {
		return "", err
	}
	for _, k := range ks {
		b.LiveKeys = append(b.LiveKeys, keys.LiveKeyMeta{AccessKeyID: aws.ToString(k.AccessKeyId), Status: string(k.Status), CreateDate: aws.ToTime(k.CreateDate).UTC()})
	}
	if b.LiveTags, err = userTags(ctx, cl, p.User); err != nil {
		return "", err
	}
	path, err := plan.WriteBackup(e.BackupDir, p.Account+"-"+p.User, b.TakenAt, b)
	if err != nil {
		return "", err
	}
	e.backedUp[id] = path
	return path, nil
}

func listKeys(ctx context.Context, cl IAM, user string) ([]types.AccessKeyMetadata, error) {
	var out []types.AccessKeyMetadata
	pg := iam.NewListAccessKeysPaginator(cl, &iam.ListAccessKeysInput{UserName: aws.String(user)})
	for pg.HasMorePages() {
		o, err := pg.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		out = append(out, o.AccessKeyMetadata...)
	}
	return out, nil
}

func liveKey(ctx context.Context, cl IAM, user, id string) (*types.AccessKeyMetadata, error) {
	ks, err := listKeys(ctx, cl, user)
	if err != nil {
		return nil, err
	}
	for i := range ks {
		if aws.ToString(ks[i].AccessKeyId) == id {
			return &ks[i], nil
		}
	}
	return nil, nil
}

func userTags(ctx context.Context, cl IAM, user string) (map[string]string, error) {
	out := map[string]string{}
	pg := iam.NewListUserTagsPaginator(cl, &iam.ListUserTagsInput{UserName: aws.String(user)})
	for pg.HasMorePages() {
		o, err := pg.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, t := range o.Tags {
			out[aws.ToString(t.Key)] = aws.ToString(t.Value)
		}
	}
	return out, nil
}

// ReadLive reads a tracked key's live state (status, last use) and its
// owner's live tags.
func ReadLive(ctx context.Context, cl IAM, user, id string) (keys.Live, map[string]string, error) {
	var l keys.Live
	k, err := liveKey(ctx, cl, user, id)
	if err != nil {
		return l, nil, err
	}
	if k != nil {
		l.Found, l.Status = true, string(k.Status)
		o, err := cl.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
		if err != nil {
			return l, nil, err
		}
		if o.AccessKeyLastUsed != nil && o.AccessKeyLastUsed.LastUsedDate != nil {
			t := o.AccessKeyLastUsed.LastUsedDate.UTC()
			l.LastUsed = &t
		}
	}
	tags, err := userTags(ctx, cl, user)
	return l, tags, err
}

// KeyOwner names the user (and its ARN) that owns access key id in the
// client's account, from GetAccessKeyLastUsed, whose answer carries the
// owner's name ("GetAccessKeyLastUsed", IAM API reference); a key of
// another account is an error (AccessDenied).
func KeyOwner(ctx context.Context, cl IAM, id string) (user, arn string, err error) {
	o, err := cl.GetAccessKeyLastUsed(ctx, &iam.GetAccessKeyLastUsedInput{AccessKeyId: aws.String(id)})
	if err != nil {
		return "", "", err
	}
	user = aws.ToString(o.UserName)
	if user == "" {
		return "", "", nil
	}
	u, err := cl.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(user)})
	if err != nil {
		return "", "", err
	}
	return user, aws.ToString(u.User.Arn), nil
}

// FlowHooks are the executor's parts of the apply flow (apply.Flow's
// Before and After): before the first change it learns the plan ids of
// earlier runs from the workspace journal (their guard tags were left by a
// crash: the flow holds the workspace lock, so none of them is running);
// after the last change it releases the guard tags of the plan.
func (e *Executor) FlowHooks(j *plan.Journal, p *plan.Plan) (before, after func(context.Context) error) {
	before = func(context.Context) error {
		es, err := j.Entries()
		if err != nil {
			return err
		}
		e.OwnPlans = map[string]bool{}
		for _, en := range es {
			if en.Plan != "" {
				e.OwnPlans[en.Plan] = true
			}
		}
		e.PlanID = p.ID
		return nil
	}
	after = func(ctx context.Context) error { return e.Release(ctx, p) }
	return before, after
}
