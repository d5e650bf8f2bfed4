package keys

import (
	"time"

	"github.com/seiri-dev/seiri/internal/plan/iamplan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Change kinds of key plans (the typed changes are in internal/plan/iamplan).
const (
	KindUpdateKey = iamplan.KindUpdateAccessKey
	KindDeleteKey = iamplan.KindDeleteAccessKey
	KindTagUser   = iamplan.KindTagUser
	KindUntagUser = iamplan.KindUntagUser
)

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
