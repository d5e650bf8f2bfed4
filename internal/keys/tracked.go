package keys

import (
	"context"
	"errors"
	"fmt"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// UserRef is an IAM user that may carry seiri's retirement state.
type UserRef struct {
	Account string
	User    string
	ARN     string
}

// ErrNoUser is what a live reader returns for a user that no longer
// exists: there is nothing to watch on it, and it is not a problem.
var ErrNoUser = errors.New("no such user")

// TrackedUserRefs lists the users whose live tags may record a key seiri
// disabled: users carrying a retire tag in the snapshot, and users the
// journal says seiri tagged (the snapshot may predate the disable).
func TrackedUserRefs(s *snapshot.Snapshot, es []plan.Entry) []UserRef {
	refs := map[UserRef]bool{}
	if s != nil {
		for _, t := range TrackedKeys(s) {
			refs[UserRef{t.Account, t.User, t.UserARN}] = true
		}
	}
	for _, en := range es {
		if en.Kind == KindTagUser && en.Phase == plan.Done && strings.Contains(en.Target, ":user/") {
			refs[UserRef{en.Account, en.Target[strings.LastIndexByte(en.Target, '/')+1:], en.Target}] = true
		}
	}
	return sortedRefs(refs)
}

// QuarantinedUserRefs lists the users that may be quarantined: tagged in
// the snapshot, or given the deny-all policy per the journal.
func QuarantinedUserRefs(s *snapshot.Snapshot, es []plan.Entry) []UserRef {
	refs := map[UserRef]bool{}
	if s != nil {
		for _, a := range s.Accounts {
			for _, u := range a.Users {
				if _, ok := u.Tags[QuarantineTag]; ok {
					refs[UserRef{a.AccountID, u.UserName, u.ARN}] = true
				}
			}
		}
	}
	for _, en := range es {
		if en.Kind == KindAttachUserPolicy && en.Phase == plan.Done && strings.Contains(en.Target, ":user/") {
			refs[UserRef{en.Account, en.Target[strings.LastIndexByte(en.Target, '/')+1:], en.Target}] = true
		}
	}
	return sortedRefs(refs)
}

func sortedRefs(m map[UserRef]bool) []UserRef {
	out := make([]UserRef, 0, len(m))
	for r := range m {
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Account != out[j].Account {
			return out[i].Account < out[j].Account
		}
		return out[i].User < out[j].User
	})
	return out
}

// ReadTracked reads the live retire tags of refs (read returns a user's
// live tags, ErrNoUser when it is gone) and keeps the keys still disabled
// or with an unreadable tag. A user that could not be read is a problem
// line ("[account] user: why"), never a silent skip.
func ReadTracked(ctx context.Context, refs []UserRef, read func(context.Context, UserRef) (map[string]string, error)) ([]Tracked, []string) {
	var out []Tracked
	var problems []string
	for _, u := range refs {
		tags, err := read(ctx, u)
		if errors.Is(err, ErrNoUser) {
			continue
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("[%s] %s: %v", u.Account, u.User, err))
			continue
		}
		for _, t := range TrackedOf(u.Account, u.User, u.ARN, tags) {
			if t.State == Disabled || t.Problem != "" {
				out = append(out, t)
			}
		}
	}
	return out, problems
}

// QuarantinedState is a quarantined user with the live state it was read from.
type QuarantinedState struct {
	User  QuarantinedUser
	State *UserState
}

// ReadQuarantined reads the live state of refs (read returns ErrNoUser for
// a user that is gone) and keeps the quarantined ones.
func ReadQuarantined(ctx context.Context, refs []UserRef, read func(context.Context, UserRef) (*UserState, error)) ([]QuarantinedState, []string) {
	var out []QuarantinedState
	var problems []string
	for _, r := range refs {
		st, err := read(ctx, r)
		if errors.Is(err, ErrNoUser) {
			continue
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("[%s] %s: %v", r.Account, r.User, err))
			continue
		}
		if q, _ := st.Quarantine(); q != nil {
			out = append(out, QuarantinedState{*q, st})
		}
	}
	return out, problems
}

// UserDeleteRefusal is why a quarantined user is not deleted on its watch
// result, or "" when it may be: a drifted, noisy or unwatched user, or one
// whose observation window is not over.
func UserDeleteRefusal(r WatchResult) string {
	switch {
	case r.Verdict == Drifted:
		return "drifted: " + r.Recommendation
	case r.Verdict == Noisy:
		return "noisy: something still uses it (see seiri users retire watch)"
	case r.DaysLeft > 0:
		return fmt.Sprintf("observation window not over: %d days left (quarantined %s)", r.DaysLeft, r.Key.Since.Format(time.RFC3339))
	case r.Verdict == Unwatched:
		return "not watched: " + r.NotWatched
	}
	return ""
}

// UsersDeletePlan deletes the quarantined users (results[i] is the watch
// of qs[i]) whose watch allows it; every other one is refused with the
// reason. force (a reason, for one named user) overrides a refusal, except
// for a drifted user. It returns the users the plan deletes.
func UsersDeletePlan(qs []QuarantinedState, results []WatchResult, now time.Time, forceReason string) (*plan.Plan, []QuarantinedState) {
	var changes []plan.Change
	var refused diag.Diagnostics
	var deleted []QuarantinedState
	for i, r := range results {
		reason := UserDeleteRefusal(r)
		notes := []string{fmt.Sprintf("quarantined %s by %s; watch: %s", r.Key.Since.Format(time.RFC3339), r.Key.By, r.Verdict)}
		if reason != "" {
			if forceReason == "" || r.Verdict == Drifted {
				refused = append(refused, refusal(r.Key.Account, r.Key.User, "", reason))
				continue
			}
			notes = append(notes, fmt.Sprintf("FORCED despite %q: %s", reason, forceReason))
		}
		for _, c := range UserDeletePlan(qs[i].State, now, notes).Changes {
			c.ID = ""
			changes = append(changes, c)
		}
		deleted = append(deleted, qs[i])
	}
	p := plan.New(PlanUserDelete, now, "", changes)
	p.Diags = append(p.Diags, refused...)
	return p, deleted
}

// KindUserBackup is the journal note naming a user's backup file.
const KindUserBackup = "users.backup"

// BackupUsers backs each user up from its live state right before the
// deletes of p (durable: written and synced by plan.WriteBackup), and
// journals where. A run that crashed mid-delete already backed the whole
// user up after its quarantine: that backup is kept as the one to restore
// from, not replaced by a partial one. It returns one line per user.
func BackupUsers(j *plan.Journal, dir string, users []QuarantinedState, p *plan.Plan, operator string, now time.Time) ([]string, error) {
	es, err := j.Entries()
	if err != nil {
		return nil, err
	}
	var lines []string
	for _, q := range users {
		st := q.State
		if path := reusableBackup(es, st.User.ARN, q.User.Since); path != "" {
			lines = append(lines, "backup of "+st.User.UserName+" (from an earlier run): "+path)
			continue
		}
		b := UserBackup{Kind: "iam-user", Account: st.Account, TakenAt: now, Reason: "before deleting the user",
			User: st.User, LiveKeys: st.AccessKeys, LiveTags: st.Tags, Operator: operator, PlanID: p.ID}
		path, err := plan.WriteBackup(dir, st.Account+"-"+st.User.UserName, now, b)
		if err != nil {
			return lines, fmt.Errorf("backup of %s: %w", st.User.UserName, err)
		}
		lines = append(lines, "backup of "+st.User.UserName+": "+path)
		if err := j.Append(plan.Entry{Plan: p.ID, Phase: plan.Note, Kind: KindUserBackup,
			Account: st.Account, Target: st.User.ARN, Operator: operator, Detail: path}); err != nil {
			return lines, err
		}
	}
	return lines, nil
}

// reusableBackup is the newest backup of userARN journaled since its
// quarantine whose file still exists, or "".
func reusableBackup(es []plan.Entry, userARN string, since time.Time) string {
	for k := len(es) - 1; k >= 0; k-- {
		en := es[k]
		if en.Kind == KindUserBackup && en.Target == userARN && !en.Time.Before(since) {
			if _, err := os.Stat(en.Detail); err == nil {
				return en.Detail
			}
		}
	}
	return ""
}
