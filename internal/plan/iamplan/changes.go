// Package iamplan is the typed model of the IAM writes of seiri: one struct
// per change kind behind the Change interface, as internal/org models the
// organization's writes. The analyses (internal/keys for keys and users,
// internal/groups) make them; internal/apply/iamexec executes them. A
// change travels inside a generic plan.Change (Wrap), whose Params hold the
// typed change as JSON and whose Kind selects the struct again (Decode).
//
// Where AWS lets seiri check it, a change records what it expects to find
// (Before); the executor refuses the change when IAM holds something else
// (drift), instead of acting on a thing that changed since review.
package iamplan

import (
	"encoding/json"
	"fmt"
	"time"

	"github.com/seiri-dev/seiri/internal/plan"
)

// Change is one typed IAM write.
type Change interface {
	// Kind is the IAM action the change makes (iam:UpdateAccessKey).
	Kind() string
	// Op is how the plan shows it (+ create, ~ change, - destroy).
	Op() plan.Op
	// On is where the change happens and how it is guarded.
	On() *Header
}

// Header is what every IAM change carries: the account, the user it is
// about, and how the executor protects it.
type Header struct {
	Account string `json:"account"`
	// User is the IAM user the change is about ("" for a group change).
	User string `json:"user,omitempty"`
	// AccessKeyID is the key a key change belongs to: a failed change stops
	// the later changes of the same key.
	AccessKeyID string `json:"accessKeyId,omitempty"`
	// UserScope: a failed change stops the user's later changes (not only
	// the same key's).
	UserScope bool `json:"userScope,omitempty"`
	// Backup asks for a backup of the user before this change.
	Backup bool `json:"backup,omitempty"`
	// NoGuard: no per-user guard tag (the user may not exist yet, or the
	// change is not about a user).
	NoGuard bool `json:"noGuard,omitempty"`
}

// On returns the header (every change embeds one).
func (h *Header) On() *Header { return h }

// Scope is what a failed change stops: its key, or its whole user.
func (h *Header) Scope() string {
	if h.UserScope || h.AccessKeyID == "" {
		return h.Account + "/user:" + h.User
	}
	return h.Account + "/" + h.AccessKeyID
}

// Change kinds: the IAM API action each makes.
const (
	KindUpdateAccessKey     = "iam:UpdateAccessKey"
	KindDeleteAccessKey     = "iam:DeleteAccessKey"
	KindTagUser             = "iam:TagUser"
	KindUntagUser           = "iam:UntagUser"
	KindCreatePolicy        = "iam:CreatePolicy"
	KindAttachUserPolicy    = "iam:AttachUserPolicy"
	KindDetachUserPolicy    = "iam:DetachUserPolicy"
	KindPutUserPolicy       = "iam:PutUserPolicy"
	KindDeleteUserPolicy    = "iam:DeleteUserPolicy"
	KindAddUserToGroup      = "iam:AddUserToGroup"
	KindRemoveUserFromGroup = "iam:RemoveUserFromGroup"
	KindDeleteLoginProfile  = "iam:DeleteLoginProfile"
	KindDeactivateMFADevice = "iam:DeactivateMFADevice"
	KindDeleteUserBoundary  = "iam:DeleteUserPermissionsBoundary"
	KindDeleteSigningCert   = "iam:DeleteSigningCertificate"
	KindDeleteSSHPublicKey  = "iam:DeleteSSHPublicKey"
	KindDeleteServiceCred   = "iam:DeleteServiceSpecificCredential"
	KindDeleteUser          = "iam:DeleteUser"
	KindCreateUser          = "iam:CreateUser"
	KindCreateGroup         = "iam:CreateGroup"
	KindAttachGroupPolicy   = "iam:AttachGroupPolicy"
)

// UpdateAccessKey sets a key's status (Active | Inactive).
type UpdateAccessKey struct {
	Header
	Status string `json:"status"`
}

// DeleteAccessKey deletes a key. Before is the status the key must still
// have ("Inactive" after seiri disabled it): a key found active again was
// re-enabled by someone since the plan, and is not deleted.
type DeleteAccessKey struct {
	Header
	Before string `json:"before,omitempty"`
}

// TagUser sets one tag on the user. SameState: the change is in effect when
// the tag already holds the same state word (the first word), so a re-run
// does not move a recorded time.
type TagUser struct {
	Header
	Key       string `json:"tagKey"`
	Value     string `json:"tagValue"`
	SameState bool   `json:"sameState,omitempty"`
}

// UntagUser removes one tag from the user.
type UntagUser struct {
	Header
	Key string `json:"tagKey"`
}

// CreatePolicy creates a customer managed policy (seiri's deny-all).
type CreatePolicy struct {
	Header
	PolicyARN   string `json:"policyArn"`
	Name        string `json:"policyName"`
	Path        string `json:"path"`
	Document    string `json:"document"`
	Description string `json:"description,omitempty"`
}

// AttachUserPolicy attaches a managed policy to the user.
type AttachUserPolicy struct {
	Header
	PolicyARN string `json:"policyArn"`
}

// DetachUserPolicy detaches a managed policy from the user.
type DetachUserPolicy struct {
	Header
	PolicyARN string `json:"policyArn"`
}

// PutUserPolicy writes an inline policy of the user.
type PutUserPolicy struct {
	Header
	PolicyName string `json:"policyName"`
	Document   string `json:"document"`
}

// DeleteUserPolicy deletes an inline policy of the user. Before is its
// document as read when the plan was made (and backed up): a policy
// rewritten since is not deleted on a backup that no longer holds it.
type DeleteUserPolicy struct {
	Header
	PolicyName string `json:"policyName"`
	Before     string `json:"beforeDocument,omitempty"`
}

// AddUserToGroup adds the user to a group.
type AddUserToGroup struct {
	Header
	GroupName string `json:"groupName"`
}

// RemoveUserFromGroup removes the user from a group.
type RemoveUserFromGroup struct {
	Header
	GroupName string `json:"groupName"`
}

// DeleteLoginProfile deletes the user's console password. Before is the
// password's creation time as read when the plan was made (GetLoginProfile
// CreateDate): a password set again since is someone's new login, and is
// not deleted.
type DeleteLoginProfile struct {
	Header
	Before *time.Time `json:"beforeCreateDate,omitempty"`
}

// DeactivateMFADevice deactivates one MFA device of the user. Before is
// the device's enable time as read (ListMFADevices EnableDate): a device
// enabled again since is not deactivated.
type DeactivateMFADevice struct {
	Header
	SerialNumber string     `json:"serialNumber"`
	Before       *time.Time `json:"beforeEnableDate,omitempty"`
}

// DeleteUserBoundary removes the user's permissions boundary, which must
// still be PolicyARN (a boundary changed since is not removed).
type DeleteUserBoundary struct {
	Header
	PolicyARN string `json:"policyArn"`
}

// DeleteSigningCert deletes an X.509 signing certificate of the user.
type DeleteSigningCert struct {
	Header
	CertificateID string `json:"certificateId"`
}

// DeleteSSHPublicKey deletes an SSH public key of the user.
type DeleteSSHPublicKey struct {
	Header
	SSHPublicKeyID string `json:"sshPublicKeyId"`
}

// DeleteServiceCred deletes a service-specific credential of the user.
type DeleteServiceCred struct {
	Header
	CredentialID string `json:"credentialId"`
}

// DeleteUser deletes the user. Before is the user's unique id (AIDA...) as
// read when the plan was made: a user deleted and created again under the
// same name since then is a different user, and is not deleted.
type DeleteUser struct {
	Header
	Before string `json:"beforeUserId,omitempty"`
}

// CreateUser creates the user (restore from a backup).
type CreateUser struct {
	Header
	Path     string            `json:"path"`
	Boundary string            `json:"boundary,omitempty"`
	Tags     map[string]string `json:"tags,omitempty"`
}

// CreateGroup creates a group.
type CreateGroup struct {
	Header
	GroupName string `json:"groupName"`
}

// AttachGroupPolicy attaches a managed policy to a group.
type AttachGroupPolicy struct {
	Header
	GroupName string `json:"groupName"`
	PolicyARN string `json:"policyArn"`
}

func (*UpdateAccessKey) Kind() string     { return KindUpdateAccessKey }
func (*DeleteAccessKey) Kind() string     { return KindDeleteAccessKey }
func (*TagUser) Kind() string             { return KindTagUser }
func (*UntagUser) Kind() string           { return KindUntagUser }
func (*CreatePolicy) Kind() string        { return KindCreatePolicy }
func (*AttachUserPolicy) Kind() string    { return KindAttachUserPolicy }
func (*DetachUserPolicy) Kind() string    { return KindDetachUserPolicy }
func (*PutUserPolicy) Kind() string       { return KindPutUserPolicy }
func (*DeleteUserPolicy) Kind() string    { return KindDeleteUserPolicy }
func (*AddUserToGroup) Kind() string      { return KindAddUserToGroup }
func (*RemoveUserFromGroup) Kind() string { return KindRemoveUserFromGroup }
func (*DeleteLoginProfile) Kind() string  { return KindDeleteLoginProfile }
func (*DeactivateMFADevice) Kind() string { return KindDeactivateMFADevice }
func (*DeleteUserBoundary) Kind() string  { return KindDeleteUserBoundary }
func (*DeleteSigningCert) Kind() string   { return KindDeleteSigningCert }
func (*DeleteSSHPublicKey) Kind() string  { return KindDeleteSSHPublicKey }
func (*DeleteServiceCred) Kind() string   { return KindDeleteServiceCred }
func (*DeleteUser) Kind() string          { return KindDeleteUser }
func (*CreateUser) Kind() string          { return KindCreateUser }
func (*CreateGroup) Kind() string         { return KindCreateGroup }
func (*AttachGroupPolicy) Kind() string   { return KindAttachGroupPolicy }

func (*UpdateAccessKey) Op() plan.Op     { return plan.Update }
func (*DeleteAccessKey) Op() plan.Op     { return plan.Delete }
func (*TagUser) Op() plan.Op             { return plan.Update }
func (*UntagUser) Op() plan.Op           { return plan.Update }
func (*CreatePolicy) Op() plan.Op        { return plan.Create }
func (*AttachUserPolicy) Op() plan.Op    { return plan.Update }
func (*DetachUserPolicy) Op() plan.Op    { return plan.Update }
func (*PutUserPolicy) Op() plan.Op       { return plan.Update }
func (*DeleteUserPolicy) Op() plan.Op    { return plan.Delete }
func (*AddUserToGroup) Op() plan.Op      { return plan.Update }
func (*RemoveUserFromGroup) Op() plan.Op { return plan.Update }
func (*DeleteLoginProfile) Op() plan.Op  { return plan.Delete }
func (*DeactivateMFADevice) Op() plan.Op { return plan.Update }
func (*DeleteUserBoundary) Op() plan.Op  { return plan.Update }
func (*DeleteSigningCert) Op() plan.Op   { return plan.Delete }
func (*DeleteSSHPublicKey) Op() plan.Op  { return plan.Delete }
func (*DeleteServiceCred) Op() plan.Op   { return plan.Delete }
func (*DeleteUser) Op() plan.Op          { return plan.Delete }
func (*CreateUser) Op() plan.Op          { return plan.Create }
func (*CreateGroup) Op() plan.Op         { return plan.Create }
func (*AttachGroupPolicy) Op() plan.Op   { return plan.Update }

// New returns an empty change of a kind, for decoding.
func New(kind string) (Change, bool) {
	switch kind {
	case KindUpdateAccessKey:
		return &UpdateAccessKey{}, true
	case KindDeleteAccessKey:
		return &DeleteAccessKey{}, true
	case KindTagUser:
		return &TagUser{}, true
	case KindUntagUser:
		return &UntagUser{}, true
	case KindCreatePolicy:
		return &CreatePolicy{}, true
	case KindAttachUserPolicy:
		return &AttachUserPolicy{}, true
	case KindDetachUserPolicy:
		return &DetachUserPolicy{}, true
	case KindPutUserPolicy:
		return &PutUserPolicy{}, true
	case KindDeleteUserPolicy:
		return &DeleteUserPolicy{}, true
	case KindAddUserToGroup:
		return &AddUserToGroup{}, true
	case KindRemoveUserFromGroup:
		return &RemoveUserFromGroup{}, true
	case KindDeleteLoginProfile:
		return &DeleteLoginProfile{}, true
	case KindDeactivateMFADevice:
		return &DeactivateMFADevice{}, true
	case KindDeleteUserBoundary:
		return &DeleteUserBoundary{}, true
	case KindDeleteSigningCert:
		return &DeleteSigningCert{}, true
	case KindDeleteSSHPublicKey:
		return &DeleteSSHPublicKey{}, true
	case KindDeleteServiceCred:
		return &DeleteServiceCred{}, true
	case KindDeleteUser:
		return &DeleteUser{}, true
	case KindCreateUser:
		return &CreateUser{}, true
	case KindCreateGroup:
		return &CreateGroup{}, true
	case KindAttachGroupPolicy:
		return &AttachGroupPolicy{}, true
	}
	return nil, false
}

// Wrap puts a typed change into a plan change, with what the plan shows:
// the target (a key id, an ARN), a description and notes.
func Wrap(c Change, target, description string, notes ...string) plan.Change {
	b, err := json.Marshal(c)
	if err != nil {
		panic(fmt.Sprintf("iamplan: %s: %v", c.Kind(), err)) // plain structs of strings always encode
	}
	return plan.Change{Kind: c.Kind(), Op: c.Op(), Account: c.On().Account, Target: target, Description: description, Params: b, Notes: notes}
}

// Decode returns the typed change a plan change carries. A plan change
// whose account disagrees with its parameters is refused (an edited plan).
func Decode(pc plan.Change) (Change, error) {
	c, ok := New(pc.Kind)
	if !ok {
		return nil, fmt.Errorf("change %s: unknown kind %q", pc.ID, pc.Kind)
	}
	if err := pc.Param(c); err != nil {
		return nil, err
	}
	h := c.On()
	if h.Account == "" || h.Account != pc.Account {
		return nil, fmt.Errorf("change %s (%s): parameters name account %q, the change %q", pc.ID, pc.Kind, h.Account, pc.Account)
	}
	return c, nil
}
