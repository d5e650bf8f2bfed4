package keys

import "time"

import "github.com/seiri-dev/seiri/internal/snapshot"

// Change kinds of key plans.
const (
	KindUpdateKey = "iam:UpdateAccessKey"
	KindDeleteKey = "iam:DeleteAccessKey"
	KindTagUser   = "iam:TagUser"
	KindUntagUser = "iam:UntagUser"
)

// Params are the parameters of every key change.
type Params struct {
	Account     string `json:"account"`
	User        string `json:"user"`
	AccessKeyID string `json:"accessKeyId"`
	Status      string `json:"status,omitempty"` // UpdateAccessKey: Active | Inactive
	TagKey      string `json:"tagKey,omitempty"`
	TagValue    string `json:"tagValue,omitempty"`
	// SameState makes a TagUser change in effect when the tag already holds
	// the same state word (a re-run does not move the recorded disable time).
	SameState bool `json:"sameState,omitempty"`
	// Backup asks for a backup of the owner before this change.
	Backup bool `json:"backup,omitempty"`
	// User-plan parameters.
	PolicyARN  string            `json:"policyArn,omitempty"`
	PolicyName string            `json:"policyName,omitempty"`
	Document   string            `json:"document,omitempty"`
	GroupName  string            `json:"groupName,omitempty"`
	ID         string            `json:"id,omitempty"` // certificate, SSH key, credential id, MFA serial
	Path       string            `json:"path,omitempty"`
	Tags       map[string]string `json:"tags,omitempty"`
	// UserScope: a failed change stops the user's later changes (not only
	// the same key's).
	UserScope bool `json:"userScope,omitempty"`
	// NoGuard: the user may not exist yet (CreateUser): no guard tag.
	NoGuard bool `json:"noGuard,omitempty"`
}

// Scope is what a failed change stops: the same key, or the whole user
// (UserScope, or changes without a key).
func (p Params) Scope() string {
	if p.UserScope || p.AccessKeyID == "" {
		return p.Account + "/user:" + p.User
	}
	return p.Account + "/" + p.AccessKeyID
}

// UserBackup is what a backup file holds: enough to recreate the user
// (never a secret: no passwords, no secret keys).
type UserBackup struct {
	Kind     string            `json:"kind"` // "iam-user"
	Account  string            `json:"account"`
	TakenAt  time.Time         `json:"takenAt"`
	Reason   string            `json:"reason"`
	User     snapshot.User     `json:"user"`
	LiveKeys []LiveKeyMeta     `json:"liveKeys"`
	LiveTags map[string]string `json:"liveTags,omitempty"`
	Operator string            `json:"operator,omitempty"`
	PlanID   string            `json:"planId,omitempty"`
}

// LiveKeyMeta is an access key's metadata as ListAccessKeys returned it.
type LiveKeyMeta struct {
	AccessKeyID string    `json:"accessKeyId"`
	Status      string    `json:"status"`
	CreateDate  time.Time `json:"createDate"`
}
