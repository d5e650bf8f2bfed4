package iamexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"reflect"
	"slices"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan/iamplan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// sameJSON compares two JSON documents by value (key order and spacing do
// not count).
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return string(a) == string(b)
	}
	return reflect.DeepEqual(x, y)
}

func isNoSuchEntity(err error) bool {
	var ae smithy.APIError
	return err != nil && errors.As(err, &ae) && ae.ErrorCode() == "NoSuchEntity"
}

// userInEffect checks the live state for a user-plan change.
func (e *Executor) userInEffect(ctx context.Context, cl IAM, ch iamplan.Change) (bool, error) {
	h := ch.On()
	name := aws.String(h.User)
	if m, ok := members[ch.Kind()]; ok {
		st, err := ReadUserState(ctx, cl, h.Account, h.User)
		if err != nil {
			return false, err
		}
		i := slices.Index(m.live(st), m.id(ch))
		if m.remove && i >= 0 {
			return false, memberDrift(st, i, ch)
		}
		return (i >= 0) != m.remove, nil
	}
	switch x := ch.(type) {
	case *iamplan.PutUserPolicy:
		st, err := ReadUserState(ctx, cl, h.Account, h.User)
		if err != nil {
			return false, err
		}
		i := slices.Index(inlineNames(st), x.PolicyName)
		return i >= 0 && string(st.User.InlinePolicies[i].Document) == x.Document, nil
	case *iamplan.CreatePolicy:
		_, err := cl.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(x.PolicyARN)})
		if isNoSuchEntity(err) {
			return false, nil
		}
		return err == nil, err
	case *iamplan.CreateUser, *iamplan.DeleteUser, *iamplan.DeleteUserBoundary:
		u, err := cl.GetUser(ctx, &iam.GetUserInput{UserName: name})
		if isNoSuchEntity(err) {
			_, del := x.(*iamplan.DeleteUser)
			return del, nil
		}
		if err != nil {
			return false, err
		}
		switch x := x.(type) {
		case *iamplan.DeleteUserBoundary:
			if u.User.PermissionsBoundary == nil {
				return true, nil
			}
			if live := aws.ToString(u.User.PermissionsBoundary.PermissionsBoundaryArn); x.PolicyARN != "" && live != x.PolicyARN {
				return false, fmt.Errorf("%w: the permissions boundary of %s is %s, the plan expects %s", ErrDrift, h.User, live, x.PolicyARN)
			}
			return false, nil
		case *iamplan.DeleteUser:
			if id := aws.ToString(u.User.UserId); x.Before != "" && id != x.Before {
				return false, fmt.Errorf("%w: user %s has id %s, the plan was made for %s (deleted and created again?)", ErrDrift, h.User, id, x.Before)
			}
			return false, nil
		}
		return true, nil
	case *iamplan.DeleteLoginProfile:
		lp, err := cl.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: name})
		if isNoSuchEntity(err) {
			return true, nil
		}
		if err != nil {
			return false, err
		}
		if live := aws.ToTime(lp.LoginProfile.CreateDate); x.Before != nil && !live.Equal(*x.Before) {
			return false, fmt.Errorf("%w: the console password of %s was set %s, the plan expects the one set %s", ErrDrift, h.User,
				live.UTC().Format(time.RFC3339), x.Before.UTC().Format(time.RFC3339))
		}
		return false, nil
	}
	return false, fmt.Errorf("kind %q is not a key or user change", ch.Kind())
}

// member is how the executor checks and makes one kind of change that adds
// or removes one named thing of a user (a managed or inline policy, a
// group, an MFA device, a credential): a row of members. The change is in
// effect once the thing is there (an addition) or gone (a removal); a
// removal whose thing changed since the plan is refused (memberDrift).
type member struct {
	remove bool
	live   func(st *keys.UserState) []string                  // the things of this kind in the live state
	id     func(ch iamplan.Change) string                     // the thing the change names
	call   func(context.Context, IAM, *string, *string) error // makes the change: user, id
	done   string                                             // what the journal records: done + " " + id
}

var members = map[string]member{
	iamplan.KindAttachUserPolicy: {false, attachedARNs, func(c iamplan.Change) string { return c.(*iamplan.AttachUserPolicy).PolicyARN },
		func(ctx context.Context, cl IAM, u, id *string) error {
			return do(ctx, cl.AttachUserPolicy, &iam.AttachUserPolicyInput{UserName: u, PolicyArn: id})
		}, "attached"},
	iamplan.KindDetachUserPolicy: {true, attachedARNs, func(c iamplan.Change) string { return c.(*iamplan.DetachUserPolicy).PolicyARN },
		func(ctx context.Context, cl IAM, u, id *string) error {
			return do(ctx, cl.DetachUserPolicy, &iam.DetachUserPolicyInput{UserName: u, PolicyArn: id})
		}, "detached"},
	iamplan.KindDeleteUserPolicy: {true, inlineNames, func(c iamplan.Change) string { return c.(*iamplan.DeleteUserPolicy).PolicyName },
		func(ctx context.Context, cl IAM, u, id *string) error {
			return do(ctx, cl.DeleteUserPolicy, &iam.DeleteUserPolicyInput{UserName: u, PolicyName: id})
		}, "deleted inline policy"},
	iamplan.KindAddUserToGroup: {false, groupNames, func(c iamplan.Change) string { return c.(*iamplan.AddUserToGroup).GroupName },
		func(ctx context.Context, cl IAM, u, id *string) error {
			return do(ctx, cl.AddUserToGroup, &iam.AddUserToGroupInput{UserName: u, GroupName: id})
		}, "added to"},
	iamplan.KindRemoveUserFromGroup: {true, groupNames, func(c iamplan.Change) string { return c.(*iamplan.RemoveUserFromGroup).GroupName },
		func(ctx context.Context, cl IAM, u, id *string) error {
			return do(ctx, cl.RemoveUserFromGroup, &iam.RemoveUserFromGroupInput{UserName: u, GroupName: id})
		}, "removed from"},
	iamplan.KindDeactivateMFADevice: {true, mfaSerials, func(c iamplan.Change) string { return c.(*iamplan.DeactivateMFADevice).SerialNumber },
		func(ctx context.Context, cl IAM, u, id *string) error {
			return do(ctx, cl.DeactivateMFADevice, &iam.DeactivateMFADeviceInput{UserName: u, SerialNumber: id})
		}, "deactivated"},
	iamplan.KindDeleteSigningCert: {true, func(st *keys.UserState) []string { return st.SigningCerts }, func(c iamplan.Change) string { return c.(*iamplan.DeleteSigningCert).CertificateID },
		func(ctx context.Context, cl IAM, u, id *string) error {
			return do(ctx, cl.DeleteSigningCertificate, &iam.DeleteSigningCertificateInput{UserName: u, CertificateId: id})
		}, "deleted"},
	iamplan.KindDeleteSSHPublicKey: {true, func(st *keys.UserState) []string { return st.SSHKeys }, func(c iamplan.Change) string { return c.(*iamplan.DeleteSSHPublicKey).SSHPublicKeyID },
		func(ctx context.Context, cl IAM, u, id *string) error {
			return do(ctx, cl.DeleteSSHPublicKey, &iam.DeleteSSHPublicKeyInput{UserName: u, SSHPublicKeyId: id})
		}, "deleted"},
	iamplan.KindDeleteServiceCred: {true, func(st *keys.UserState) []string { return st.ServiceCreds }, func(c iamplan.Change) string { return c.(*iamplan.DeleteServiceCred).CredentialID },
		func(ctx context.Context, cl IAM, u, id *string) error {
			return do(ctx, cl.DeleteServiceSpecificCredential, &iam.DeleteServiceSpecificCredentialInput{UserName: u, ServiceSpecificCredentialId: id})
		}, "deleted"},
}

// do makes one IAM call whose answer carries nothing the executor needs.
func do[I, O any](ctx context.Context, call func(context.Context, I, ...func(*iam.Options)) (O, error), in I) error {
	_, err := call(ctx, in)
	return err
}

// memberDrift refuses a removal whose thing changed since the plan (its
// Before); i is the thing's index in the live state.
func memberDrift(st *keys.UserState, i int, ch iamplan.Change) error {
	switch x := ch.(type) {
	case *iamplan.DeleteUserPolicy:
		if x.Before != "" && !sameJSON(st.User.InlinePolicies[i].Document, []byte(x.Before)) {
			return fmt.Errorf("%w: inline policy %s of %s was rewritten since the plan (its backup holds the old document)", ErrDrift, x.PolicyName, x.User)
		}
	case *iamplan.DeactivateMFADevice:
		if live := st.User.MFADevices[i].EnableDate; x.Before != nil && !live.Equal(*x.Before) {
			return fmt.Errorf("%w: MFA device %s of %s was enabled %s, the plan expects %s", ErrDrift, x.SerialNumber, x.User,
				live.UTC().Format(time.RFC3339), x.Before.UTC().Format(time.RFC3339))
		}
	}
	return nil
}

func names[T any](xs []T, name func(T) string) []string {
	out := make([]string, len(xs))
	for i, x := range xs {
		out[i] = name(x)
	}
	return out
}

func attachedARNs(st *keys.UserState) []string {
	return names(st.User.AttachedPolicies, func(a snapshot.AttachedPolicy) string { return a.PolicyARN })
}

func inlineNames(st *keys.UserState) []string {
	return names(st.User.InlinePolicies, func(p snapshot.InlinePolicy) string { return p.PolicyName })
}

func mfaSerials(st *keys.UserState) []string {
	return names(st.User.MFADevices, func(d snapshot.MFADevice) string { return d.SerialNumber })
}

func groupNames(st *keys.UserState) []string { return st.User.Groups }

// userApply makes a user-plan change; ok is false for kinds it does not know.
func (e *Executor) userApply(ctx context.Context, cl IAM, ch iamplan.Change) (detail string, ok bool, err error) {
	name := aws.String(ch.On().User)
	if m, ok := members[ch.Kind()]; ok {
		id := m.id(ch)
		return m.done + " " + id, true, m.call(ctx, cl, name, aws.String(id))
	}
	switch x := ch.(type) {
	case *iamplan.PutUserPolicy:
		in := &iam.PutUserPolicyInput{UserName: name, PolicyName: aws.String(x.PolicyName), PolicyDocument: aws.String(x.Document)}
		return "put inline policy " + x.PolicyName, true, do(ctx, cl.PutUserPolicy, in)
	case *iamplan.CreatePolicy:
		in := &iam.CreatePolicyInput{PolicyName: aws.String(x.Name), Path: aws.String(x.Path), PolicyDocument: aws.String(x.Document), Description: aws.String(x.Description)}
		return "created " + x.PolicyARN, true, do(ctx, cl.CreatePolicy, in)
	case *iamplan.DeleteLoginProfile:
		return "console password deleted", true, do(ctx, cl.DeleteLoginProfile, &iam.DeleteLoginProfileInput{UserName: name})
	case *iamplan.DeleteUserBoundary:
		return "boundary removed", true, do(ctx, cl.DeleteUserPermissionsBoundary, &iam.DeleteUserPermissionsBoundaryInput{UserName: name})
	case *iamplan.DeleteUser:
		return "user deleted", true, do(ctx, cl.DeleteUser, &iam.DeleteUserInput{UserName: name})
	case *iamplan.CreateUser:
		in := &iam.CreateUserInput{UserName: name, Path: aws.String(x.Path)}
		if x.Boundary != "" {
			in.PermissionsBoundary = aws.String(x.Boundary)
		}
		for _, k := range slices.Sorted(maps.Keys(x.Tags)) {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(x.Tags[k])})
		}
		return "user created", true, do(ctx, cl.CreateUser, in)
	}
	return "", false, nil
}

// ReadUserState lists a user's credentials, memberships and policies.
func ReadUserState(ctx context.Context, cl IAM, account, name string) (*keys.UserState, error) {
	gu, err := cl.GetUser(ctx, &iam.GetUserInput{UserName: aws.String(name)})
	if err != nil {
		return nil, err
	}
	s := &keys.UserState{Account: account}
	u := gu.User
	s.User = snapshot.User{ARN: aws.ToString(u.Arn), UserName: aws.ToString(u.UserName), UserID: aws.ToString(u.UserId),
		Path: aws.ToString(u.Path), CreateDate: aws.ToTime(u.CreateDate).UTC(), Tags: map[string]string{}}
	s.PasswordLastUsed = u.PasswordLastUsed
	if u.PermissionsBoundary != nil {
		s.User.PermissionsBoundary = aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn)
	}
	for _, t := range u.Tags {
		s.User.Tags[aws.ToString(t.Key)] = aws.ToString(t.Value)
	}
	s.Tags = s.User.Tags
	if lp, err := cl.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: aws.String(name)}); err == nil {
		s.User.LoginProfile = &snapshot.LoginProfile{CreateDate: aws.ToTime(lp.LoginProfile.CreateDate).UTC(), PasswordResetRequired: lp.LoginProfile.PasswordResetRequired}
	} else if !isNoSuchEntity(err) {
		return nil, err
	}
	ks, err := listKeys(ctx, cl, name)
	if err != nil {
		return nil, err
	}
	for _, k := range ks {
		s.AccessKeys = append(s.AccessKeys, keys.LiveKeyMeta{AccessKeyID: aws.ToString(k.AccessKeyId), Status: string(k.Status), CreateDate: aws.ToTime(k.CreateDate).UTC()})
	}
	for pg := iam.NewListMFADevicesPaginator(cl, &iam.ListMFADevicesInput{UserName: aws.String(name)}); pg.HasMorePages(); {
		o, err := pg.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, d := range o.MFADevices {
			s.User.MFADevices = append(s.User.MFADevices, snapshot.MFADevice{SerialNumber: aws.ToString(d.SerialNumber), EnableDate: aws.ToTime(d.EnableDate).UTC()})
		}
	}
	for pg := iam.NewListGroupsForUserPaginator(cl, &iam.ListGroupsForUserInput{UserName: aws.String(name)}); pg.HasMorePages(); {
		o, err := pg.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, g := range o.Groups {
			s.User.Groups = append(s.User.Groups, aws.ToString(g.GroupName))
		}
	}
	for pg := iam.NewListAttachedUserPoliciesPaginator(cl, &iam.ListAttachedUserPoliciesInput{UserName: aws.String(name)}); pg.HasMorePages(); {
		o, err := pg.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, p := range o.AttachedPolicies {
			s.User.AttachedPolicies = append(s.User.AttachedPolicies, snapshot.AttachedPolicy{PolicyName: aws.ToString(p.PolicyName), PolicyARN: aws.ToString(p.PolicyArn)})
		}
	}
	for pg := iam.NewListUserPoliciesPaginator(cl, &iam.ListUserPoliciesInput{UserName: aws.String(name)}); pg.HasMorePages(); {
		o, err := pg.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, pn := range o.PolicyNames {
			gp, err := cl.GetUserPolicy(ctx, &iam.GetUserPolicyInput{UserName: aws.String(name), PolicyName: aws.String(pn)})
			if err != nil {
				return nil, err
			}
			// IAM returns policy documents URL-encoded (RFC 3986).
			doc, err := url.QueryUnescape(aws.ToString(gp.PolicyDocument))
			if err != nil || !json.Valid([]byte(doc)) {
				return nil, fmt.Errorf("inline policy %s of %s: document is not URL-encoded JSON", pn, name)
			}
			s.User.InlinePolicies = append(s.User.InlinePolicies, snapshot.InlinePolicy{PolicyName: pn, Document: json.RawMessage(doc)})
		}
	}
	for pg := iam.NewListSigningCertificatesPaginator(cl, &iam.ListSigningCertificatesInput{UserName: aws.String(name)}); pg.HasMorePages(); {
		o, err := pg.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, c := range o.Certificates {
			s.SigningCerts = append(s.SigningCerts, aws.ToString(c.CertificateId))
		}
	}
	for pg := iam.NewListSSHPublicKeysPaginator(cl, &iam.ListSSHPublicKeysInput{UserName: aws.String(name)}); pg.HasMorePages(); {
		o, err := pg.NextPage(ctx)
		if err != nil {
			return nil, err
		}
		for _, k := range o.SSHPublicKeys {
			s.SSHKeys = append(s.SSHKeys, aws.ToString(k.SSHPublicKeyId))
		}
	}
	sc, err := cl.ListServiceSpecificCredentials(ctx, &iam.ListServiceSpecificCredentialsInput{UserName: aws.String(name)})
	if err != nil {
		return nil, err
	}
	for _, c := range sc.ServiceSpecificCredentials {
		s.ServiceCreds = append(s.ServiceCreds, aws.ToString(c.ServiceSpecificCredentialId))
	}
	return s, nil
}
