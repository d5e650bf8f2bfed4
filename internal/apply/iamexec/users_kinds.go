package iamexec

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"reflect"
	"slices"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"

	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/plan/iamplan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// UserIAM is the part of the IAM API the user lifecycle calls.
type UserIAM interface {
	GetUser(context.Context, *iam.GetUserInput, ...func(*iam.Options)) (*iam.GetUserOutput, error)
	CreateUser(context.Context, *iam.CreateUserInput, ...func(*iam.Options)) (*iam.CreateUserOutput, error)
	DeleteUser(context.Context, *iam.DeleteUserInput, ...func(*iam.Options)) (*iam.DeleteUserOutput, error)
	GetPolicy(context.Context, *iam.GetPolicyInput, ...func(*iam.Options)) (*iam.GetPolicyOutput, error)
	CreatePolicy(context.Context, *iam.CreatePolicyInput, ...func(*iam.Options)) (*iam.CreatePolicyOutput, error)
	AttachUserPolicy(context.Context, *iam.AttachUserPolicyInput, ...func(*iam.Options)) (*iam.AttachUserPolicyOutput, error)
	DetachUserPolicy(context.Context, *iam.DetachUserPolicyInput, ...func(*iam.Options)) (*iam.DetachUserPolicyOutput, error)
	ListAttachedUserPolicies(context.Context, *iam.ListAttachedUserPoliciesInput, ...func(*iam.Options)) (*iam.ListAttachedUserPoliciesOutput, error)
	ListUserPolicies(context.Context, *iam.ListUserPoliciesInput, ...func(*iam.Options)) (*iam.ListUserPoliciesOutput, error)
	GetUserPolicy(context.Context, *iam.GetUserPolicyInput, ...func(*iam.Options)) (*iam.GetUserPolicyOutput, error)
	PutUserPolicy(context.Context, *iam.PutUserPolicyInput, ...func(*iam.Options)) (*iam.PutUserPolicyOutput, error)
	DeleteUserPolicy(context.Context, *iam.DeleteUserPolicyInput, ...func(*iam.Options)) (*iam.DeleteUserPolicyOutput, error)
	ListGroupsForUser(context.Context, *iam.ListGroupsForUserInput, ...func(*iam.Options)) (*iam.ListGroupsForUserOutput, error)
	AddUserToGroup(context.Context, *iam.AddUserToGroupInput, ...func(*iam.Options)) (*iam.AddUserToGroupOutput, error)
	RemoveUserFromGroup(context.Context, *iam.RemoveUserFromGroupInput, ...func(*iam.Options)) (*iam.RemoveUserFromGroupOutput, error)
	GetLoginProfile(context.Context, *iam.GetLoginProfileInput, ...func(*iam.Options)) (*iam.GetLoginProfileOutput, error)
	DeleteLoginProfile(context.Context, *iam.DeleteLoginProfileInput, ...func(*iam.Options)) (*iam.DeleteLoginProfileOutput, error)
	ListMFADevices(context.Context, *iam.ListMFADevicesInput, ...func(*iam.Options)) (*iam.ListMFADevicesOutput, error)
	DeactivateMFADevice(context.Context, *iam.DeactivateMFADeviceInput, ...func(*iam.Options)) (*iam.DeactivateMFADeviceOutput, error)
	DeleteUserPermissionsBoundary(context.Context, *iam.DeleteUserPermissionsBoundaryInput, ...func(*iam.Options)) (*iam.DeleteUserPermissionsBoundaryOutput, error)
	ListSigningCertificates(context.Context, *iam.ListSigningCertificatesInput, ...func(*iam.Options)) (*iam.ListSigningCertificatesOutput, error)
	DeleteSigningCertificate(context.Context, *iam.DeleteSigningCertificateInput, ...func(*iam.Options)) (*iam.DeleteSigningCertificateOutput, error)
	ListSSHPublicKeys(context.Context, *iam.ListSSHPublicKeysInput, ...func(*iam.Options)) (*iam.ListSSHPublicKeysOutput, error)
	DeleteSSHPublicKey(context.Context, *iam.DeleteSSHPublicKeyInput, ...func(*iam.Options)) (*iam.DeleteSSHPublicKeyOutput, error)
	ListServiceSpecificCredentials(context.Context, *iam.ListServiceSpecificCredentialsInput, ...func(*iam.Options)) (*iam.ListServiceSpecificCredentialsOutput, error)
	DeleteServiceSpecificCredential(context.Context, *iam.DeleteServiceSpecificCredentialInput, ...func(*iam.Options)) (*iam.DeleteServiceSpecificCredentialOutput, error)
}

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
	switch x := ch.(type) {
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
	st, err := ReadUserState(ctx, cl, h.Account, h.User)
	if err != nil {
		return false, err
	}
	u := st.User
	switch x := ch.(type) {
	case *iamplan.AttachUserPolicy:
		return slices.ContainsFunc(u.AttachedPolicies, func(a snapshot.AttachedPolicy) bool { return a.PolicyARN == x.PolicyARN }), nil
	case *iamplan.DetachUserPolicy:
		return !slices.ContainsFunc(u.AttachedPolicies, func(a snapshot.AttachedPolicy) bool { return a.PolicyARN == x.PolicyARN }), nil
	case *iamplan.PutUserPolicy:
		i := slices.IndexFunc(u.InlinePolicies, func(ip snapshot.InlinePolicy) bool { return ip.PolicyName == x.PolicyName })
		return i >= 0 && string(u.InlinePolicies[i].Document) == x.Document, nil
	case *iamplan.DeleteUserPolicy:
		i := slices.IndexFunc(u.InlinePolicies, func(ip snapshot.InlinePolicy) bool { return ip.PolicyName == x.PolicyName })
		if i < 0 {
			return true, nil
		}
		if x.Before != "" && !sameJSON(u.InlinePolicies[i].Document, []byte(x.Before)) {
			return false, fmt.Errorf("%w: inline policy %s of %s was rewritten since the plan (its backup holds the old document)", ErrDrift, x.PolicyName, h.User)
		}
		return false, nil
	case *iamplan.AddUserToGroup:
		return slices.Contains(u.Groups, x.GroupName), nil
	case *iamplan.RemoveUserFromGroup:
		return !slices.Contains(u.Groups, x.GroupName), nil
	case *iamplan.DeactivateMFADevice:
		i := slices.IndexFunc(u.MFADevices, func(d snapshot.MFADevice) bool { return d.SerialNumber == x.SerialNumber })
		if i < 0 {
			return true, nil
		}
		if live := u.MFADevices[i].EnableDate; x.Before != nil && !live.Equal(*x.Before) {
			return false, fmt.Errorf("%w: MFA device %s of %s was enabled %s, the plan expects %s", ErrDrift, x.SerialNumber, h.User,
				live.UTC().Format(time.RFC3339), x.Before.UTC().Format(time.RFC3339))
		}
		return false, nil
	case *iamplan.DeleteSigningCert:
		return !slices.Contains(st.SigningCerts, x.CertificateID), nil
	case *iamplan.DeleteSSHPublicKey:
		return !slices.Contains(st.SSHKeys, x.SSHPublicKeyID), nil
	case *iamplan.DeleteServiceCred:
		return !slices.Contains(st.ServiceCreds, x.CredentialID), nil
	}
	return false, fmt.Errorf("kind %q is not a key or user change", ch.Kind())
}

// userApply makes a user-plan change; ok is false for kinds it does not know.
func (e *Executor) userApply(ctx context.Context, cl IAM, ch iamplan.Change) (detail string, ok bool, err error) {
	ok = true
	name := aws.String(ch.On().User)
	switch x := ch.(type) {
	case *iamplan.CreatePolicy:
		_, err = cl.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(x.Name), Path: aws.String(x.Path),
			PolicyDocument: aws.String(x.Document), Description: aws.String(x.Description)})
		return "created " + x.PolicyARN, ok, err
	case *iamplan.AttachUserPolicy:
		_, err = cl.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: name, PolicyArn: aws.String(x.PolicyARN)})
		return "attached " + x.PolicyARN, ok, err
	case *iamplan.DetachUserPolicy:
		_, err = cl.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: name, PolicyArn: aws.String(x.PolicyARN)})
		return "detached " + x.PolicyARN, ok, err
	case *iamplan.PutUserPolicy:
		_, err = cl.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: name, PolicyName: aws.String(x.PolicyName), PolicyDocument: aws.String(x.Document)})
		return "put inline policy " + x.PolicyName, ok, err
	case *iamplan.DeleteUserPolicy:
		_, err = cl.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: name, PolicyName: aws.String(x.PolicyName)})
		return "deleted inline policy " + x.PolicyName, ok, err
	case *iamplan.AddUserToGroup:
		_, err = cl.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: name, GroupName: aws.String(x.GroupName)})
		return "added to " + x.GroupName, ok, err
	case *iamplan.RemoveUserFromGroup:
		_, err = cl.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: name, GroupName: aws.String(x.GroupName)})
		return "removed from " + x.GroupName, ok, err
	case *iamplan.DeleteLoginProfile:
		_, err = cl.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: name})
		return "console password deleted", ok, err
	case *iamplan.DeactivateMFADevice:
		_, err = cl.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: name, SerialNumber: aws.String(x.SerialNumber)})
		return "deactivated " + x.SerialNumber, ok, err
	case *iamplan.DeleteSigningCert:
		_, err = cl.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: name, CertificateId: aws.String(x.CertificateID)})
		return "deleted " + x.CertificateID, ok, err
	case *iamplan.DeleteSSHPublicKey:
		_, err = cl.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: name, SSHPublicKeyId: aws.String(x.SSHPublicKeyID)})
		return "deleted " + x.SSHPublicKeyID, ok, err
	case *iamplan.DeleteServiceCred:
		_, err = cl.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: name, ServiceSpecificCredentialId: aws.String(x.CredentialID)})
		return "deleted " + x.CredentialID, ok, err
	case *iamplan.DeleteUserBoundary:
		_, err = cl.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: name})
		return "boundary removed", ok, err
	case *iamplan.DeleteUser:
		_, err = cl.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name})
		return "user deleted", ok, err
	case *iamplan.CreateUser:
		in := &iam.CreateUserInput{UserName: name, Path: aws.String(x.Path)}
		if x.Boundary != "" {
			in.PermissionsBoundary = aws.String(x.Boundary)
		}
		keys := make([]string, 0, len(x.Tags))
		for k := range x.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(x.Tags[k])})
		}
		_, err = cl.CreateUser(ctx, in)
		return "user created", ok, err
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
