package keys

import (
	"fmt"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/plan"
)

// Plan kinds.
const (
	PlanDisable = "keys.disable"
	PlanRestore = "keys.restore"
	PlanDelete  = "keys.delete"
)

// Refusal is a key a plan leaves out, with the reason.
type Refusal struct {
	Account     string `json:"account"`
	User        string `json:"user"`
	AccessKeyID string `json:"accessKeyId"`
	Reason      string `json:"reason"`
}

// DisablePlan turns candidates into changes: for each key, deactivate it
// (backing its owner up first) and record the disable on the owner as a
// tag. Candidates refused by the lockout rules are returned as refusals.
func DisablePlan(cands []Candidate, base, operator string, now time.Time) (*plan.Plan, []Refusal) {
	var changes []plan.Change
	var refused []Refusal
	for _, c := range cands {
		if c.Refused != "" {
			refused = append(refused, Refusal{c.Account, c.User, c.AccessKeyID, c.Refused})
			continue
		}
		notes := []string{"last used: " + lastUsedText(c.LastUsed, now)}
		for _, e := range c.Evidence {
			notes = append(notes, fmt.Sprintf("%s: %s", e.Source, evidenceText(e, now)))
		}
		if c.Coverage.Complete() {
			notes = append(notes, fmt.Sprintf("coverage: complete (trail in every region, %d days of logs)", c.Coverage.DaysScanned))
		} else {
			notes = append(notes, "coverage: silence may only mean not logged: "+strings.Join(c.Coverage.Gaps, "; "))
		}
		p := Params{Account: c.Account, User: c.User, AccessKeyID: c.AccessKeyID, Status: "Inactive", Backup: true}
		changes = append(changes, plan.Change{Kind: KindUpdateKey, Op: plan.Update, Account: c.Account, Target: c.AccessKeyID,
			Description: fmt.Sprintf("disable access key %s of %s", c.AccessKeyID, c.User), Params: plan.MustParams(p), Notes: notes})
		t := Params{Account: c.Account, User: c.User, AccessKeyID: c.AccessKeyID, TagKey: RetireTag(c.AccessKeyID),
			TagValue: RetireValue(Disabled, now, operator), SameState: true}
		changes = append(changes, plan.Change{Kind: KindTagUser, Op: plan.Update, Account: c.Account, Target: c.UserARN,
			Description: fmt.Sprintf("tag %s %s=%q", c.User, t.TagKey, t.TagValue), Params: plan.MustParams(t)})
	}
	return plan.New(PlanDisable, now, base, changes), refused
}

// RestorePlan reactivates a disabled key and removes its retire tag.
func RestorePlan(t Tracked, base string, now time.Time) *plan.Plan {
	p := Params{Account: t.Account, User: t.User, AccessKeyID: t.AccessKeyID, Status: "Active"}
	u := Params{Account: t.Account, User: t.User, AccessKeyID: t.AccessKeyID, TagKey: RetireTag(t.AccessKeyID)}
	return plan.New(PlanRestore, now, base, []plan.Change{
		{Kind: KindUpdateKey, Op: plan.Update, Account: t.Account, Target: t.AccessKeyID,
			Description: fmt.Sprintf("reactivate access key %s of %s (disabled %s)", t.AccessKeyID, t.User, t.Since.Format(time.RFC3339)), Params: plan.MustParams(p)},
		{Kind: KindUntagUser, Op: plan.Update, Account: t.Account, Target: t.UserARN,
			Description: fmt.Sprintf("untag %s %s", t.User, u.TagKey), Params: plan.MustParams(u)},
	})
}

// Override lets one key be deleted despite a refusal (--force --reason).
type Override struct {
	AccessKeyID string
	Reason      string
}

// DeletePlan deletes the keys whose watch is quiet and whose observation
// window has passed; every other key is refused with the reason. A drifted
// key is refused even with an override.
func DeletePlan(results []WatchResult, base string, now time.Time, force *Override) (*plan.Plan, []Refusal) {
	var changes []plan.Change
	var refused []Refusal
	for _, r := range results {
		k := r.Key
		reason := ""
		switch {
		case k.Problem != "":
			reason = "unreadable retire tag: " + k.Problem
		case r.Verdict == Drifted:
			reason = "drifted: " + r.Recommendation
		case r.Verdict == Noisy:
			reason = "noisy: something still uses it (see seiri keys watch)"
		case r.DaysLeft > 0:
			reason = fmt.Sprintf("observation window not over: %d days left (disabled %s)", r.DaysLeft, k.Since.Format(time.RFC3339))
		case r.Verdict == Unwatched:
			reason = "not watched: " + r.NotWatched
		}
		notes := []string{fmt.Sprintf("disabled %s by %s; watch: %s", k.Since.Format(time.RFC3339), k.By, r.Verdict)}
		if reason != "" {
			if force == nil || force.AccessKeyID != k.AccessKeyID || r.Verdict == Drifted || k.Problem != "" {
				refused = append(refused, Refusal{k.Account, k.User, k.AccessKeyID, reason})
				continue
			}
			notes = append(notes, fmt.Sprintf("FORCED despite %q: %s", reason, force.Reason))
		}
		p := Params{Account: k.Account, User: k.User, AccessKeyID: k.AccessKeyID, Backup: true}
		u := Params{Account: k.Account, User: k.User, AccessKeyID: k.AccessKeyID, TagKey: RetireTag(k.AccessKeyID)}
		changes = append(changes,
			plan.Change{Kind: KindDeleteKey, Op: plan.Delete, Account: k.Account, Target: k.AccessKeyID,
				Description: fmt.Sprintf("delete access key %s of %s", k.AccessKeyID, k.User), Params: plan.MustParams(p), Notes: notes},
			plan.Change{Kind: KindUntagUser, Op: plan.Update, Account: k.Account, Target: k.UserARN,
				Description: fmt.Sprintf("untag %s %s", k.User, u.TagKey), Params: plan.MustParams(u)})
	}
	return plan.New(PlanDelete, now, base, changes), refused
}

func lastUsedText(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	return fmt.Sprintf("%s (%d days ago)", t.UTC().Format("2006-01-02"), int(now.Sub(*t).Hours()/24))
}

func evidenceText(e Evidence, now time.Time) string {
	s := "no use"
	if e.LastUsed != nil {
		s = lastUsedText(e.LastUsed, now)
	}
	if e.Detail != "" {
		s += " — " + e.Detail
	}
	return s
}
