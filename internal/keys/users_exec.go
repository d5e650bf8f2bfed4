package keys

import (
	"context"
	"errors"
	"slices"
	"sort"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/smithy-go"
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

func isNoSuchEntity(err error) bool {
	var ae smithy.APIError
	return err != nil && errors.As(err, &ae) && ae.ErrorCode() == "NoSuchEntity"
}

// userInEffect checks the live state for a user-plan change; ok is false
// for kinds it does not know.
func (e *Executor) userInEffect(ctx context.Context, cl IAM, kind string, p Params) (in, ok bool, err error) {
	ok = true
	name := aws.String(p.User)
	switch kind {
	case KindCreatePolicy:
		_, err = cl.GetPolicy(ctx, &iam.GetPolicyInput{PolicyArn: aws.String(p.PolicyARN)})
		if isNoSuchEntity(err) {
			return false, ok, nil
		}
		return err == nil, ok, err
	case KindCreateUser, KindDeleteUser, KindDeleteBoundary:
		u, err := cl.GetUser(ctx, &iam.GetUserInput{UserName: name})
		if isNoSuchEntity(err) {
			return kind == KindDeleteUser, ok, nil
		}
		if err != nil {
			return false, ok, err
		}
		if kind == KindDeleteBoundary {
			return u.User.PermissionsBoundary == nil, ok, nil
		}
		return kind == KindCreateUser, ok, nil
	case KindDeleteLoginProfile:
		_, err = cl.GetLoginProfile(ctx, &iam.GetLoginProfileInput{UserName: name})
		if isNoSuchEntity(err) {
			return true, ok, nil
		}
		return false, ok, err
	}
	st, err := ReadUserState(ctx, cl, p.Account, p.User)
	if err != nil {
		return false, ok, err
	}
	u := st.User
	switch kind {
	case KindAttachUserPolicy, KindDetachUserPolicy:
		has := slices.ContainsFunc(u.AttachedPolicies, func(a attached) bool { return a.PolicyARN == p.PolicyARN })
		return has == (kind == KindAttachUserPolicy), ok, nil
	case KindPutUserPolicy, KindDeleteUserPolicy:
		i := slices.IndexFunc(u.InlinePolicies, func(ip inline) bool { return ip.PolicyName == p.PolicyName })
		if kind == KindDeleteUserPolicy {
			return i < 0, ok, nil
		}
		return i >= 0 && string(u.InlinePolicies[i].Document) == p.Document, ok, nil
	case KindAddUserToGroup, KindRemoveFromGroup:
		return slices.Contains(u.Groups, p.GroupName) == (kind == KindAddUserToGroup), ok, nil
	case KindDeactivateMFA:
		return !slices.ContainsFunc(u.MFADevices, func(d mfa) bool { return d.SerialNumber == p.ID }), ok, nil
	case KindDeleteSigningCert:
		return !slices.Contains(st.SigningCerts, p.ID), ok, nil
	case KindDeleteSSHKey:
		return !slices.Contains(st.SSHKeys, p.ID), ok, nil
	case KindDeleteServiceCred:
		return !slices.Contains(st.ServiceCreds, p.ID), ok, nil
	}
	return false, false, nil
}

// userApply makes a user-plan change; ok is false for unknown kinds.
func (e *Executor) userApply(ctx context.Context, cl IAM, kind string, p Params) (detail string, ok bool, err error) {
	ok = true
	name := aws.String(p.User)
	switch kind {
	case KindCreatePolicy:
		_, err = cl.CreatePolicy(ctx, &iam.CreatePolicyInput{PolicyName: aws.String(DenyAllPolicyName), Path: aws.String(DenyAllPolicyPath),
			PolicyDocument: aws.String(DenyAllDocument), Description: aws.String("seiri quarantine: denies everything to a user being retired")})
		return "created " + p.PolicyARN, ok, err
	case KindAttachUserPolicy:
		_, err = cl.AttachUserPolicy(ctx, &iam.AttachUserPolicyInput{UserName: name, PolicyArn: aws.String(p.PolicyARN)})
		return "attached " + p.PolicyARN, ok, err
	case KindDetachUserPolicy:
		_, err = cl.DetachUserPolicy(ctx, &iam.DetachUserPolicyInput{UserName: name, PolicyArn: aws.String(p.PolicyARN)})
		return "detached " + p.PolicyARN, ok, err
	case KindPutUserPolicy:
		_, err = cl.PutUserPolicy(ctx, &iam.PutUserPolicyInput{UserName: name, PolicyName: aws.String(p.PolicyName), PolicyDocument: aws.String(p.Document)})
		return "put inline policy " + p.PolicyName, ok, err
	case KindDeleteUserPolicy:
		_, err = cl.DeleteUserPolicy(ctx, &iam.DeleteUserPolicyInput{UserName: name, PolicyName: aws.String(p.PolicyName)})
		return "deleted inline policy " + p.PolicyName, ok, err
	case KindAddUserToGroup:
		_, err = cl.AddUserToGroup(ctx, &iam.AddUserToGroupInput{UserName: name, GroupName: aws.String(p.GroupName)})
		return "added to " + p.GroupName, ok, err
	case KindRemoveFromGroup:
		_, err = cl.RemoveUserFromGroup(ctx, &iam.RemoveUserFromGroupInput{UserName: name, GroupName: aws.String(p.GroupName)})
		return "removed from " + p.GroupName, ok, err
	case KindDeleteLoginProfile:
		_, err = cl.DeleteLoginProfile(ctx, &iam.DeleteLoginProfileInput{UserName: name})
		return "console password deleted", ok, err
	case KindDeactivateMFA:
		_, err = cl.DeactivateMFADevice(ctx, &iam.DeactivateMFADeviceInput{UserName: name, SerialNumber: aws.String(p.ID)})
		return "deactivated " + p.ID, ok, err
	case KindDeleteSigningCert:
		_, err = cl.DeleteSigningCertificate(ctx, &iam.DeleteSigningCertificateInput{UserName: name, CertificateId: aws.String(p.ID)})
		return "deleted " + p.ID, ok, err
	case KindDeleteSSHKey:
		_, err = cl.DeleteSSHPublicKey(ctx, &iam.DeleteSSHPublicKeyInput{UserName: name, SSHPublicKeyId: aws.String(p.ID)})
		return "deleted " + p.ID, ok, err
	case KindDeleteServiceCred:
		_, err = cl.DeleteServiceSpecificCredential(ctx, &iam.DeleteServiceSpecificCredentialInput{UserName: name, ServiceSpecificCredentialId: aws.String(p.ID)})
		return "deleted " + p.ID, ok, err
	case KindDeleteBoundary:
		_, err = cl.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: name})
		return "boundary removed", ok, err
	case KindDeleteUser:
		_, err = cl.DeleteUser(ctx, &iam.DeleteUserInput{UserName: name})
		return "user deleted", ok, err
	case KindCreateUser:
		in := &iam.CreateUserInput{UserName: name, Path: aws.String(p.Path)}
		if p.PolicyARN != "" {
			in.PermissionsBoundary = aws.String(p.PolicyARN)
		}
		keys := make([]string, 0, len(p.Tags))
		for k := range p.Tags {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			in.Tags = append(in.Tags, types.Tag{Key: aws.String(k), Value: aws.String(p.Tags[k])})
		}
		_, err = cl.CreateUser(ctx, in)
		return "user created", ok, err
	}
	return "", false, nil
}

type (
	attached = snapshotAttached
	inline   = snapshotInline
	mfa      = snapshotMFA
)
