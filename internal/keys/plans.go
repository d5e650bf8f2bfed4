package keys

import (
	"fmt"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/plan/iamplan"
)

// Plan kinds.
const (
	PlanDisable = "keys.disable"
	PlanRestore = "keys.restore"
	PlanDelete  = "keys.delete"
)

// CodeRefused is the diagnostic code of a key or user a plan leaves out
// (lockout rules, a watch that is not quiet, an unreadable tag).
const CodeRefused = "keys.refused"

// refusal is the diagnostic of a key or user a plan leaves out; it is a
// warning of the plan (the rest of the plan goes on).
func refusal(account, user, key, reason string) diag.Diagnostic {
	what := user
	if key != "" {
		what += " " + key
	}
	return diag.Diagnostic{Severity: diag.Warning, Code: CodeRefused, Summary: fmt.Sprintf("refused [%s] %s: %s", account, what, reason),
		Detail: reason, Subject: &diag.Subject{Account: account, Resource: what}}
}

// DisablePlan turns candidates into changes: for each key, deactivate it
// (backing its owner up first) and record the disable on the owner as a
// tag. Candidates refused by the lockout rules are returned as refusals.
func DisablePlan(cands []Candidate, base, operator string, now time.Time) (*plan.Plan, diag.Diagnostics) {
	var changes []plan.Change
	var refused diag.Diagnostics
	for _, c := range cands {
		if c.Refused != "" {
			refused = append(refused, refusal(c.Account, c.User, c.AccessKeyID, c.Refused))
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
		on := iamplan.Header{Account: c.Account, User: c.User, AccessKeyID: c.AccessKeyID}
		up := on
		up.Backup = true
		changes = append(changes, iamplan.Wrap(&iamplan.UpdateAccessKey{Header: up, Status: "Inactive"}, c.AccessKeyID,
			fmt.Sprintf("disable access key %s of %s", c.AccessKeyID, c.User), notes...))
		t := &iamplan.TagUser{Header: on, Key: RetireTag(c.AccessKeyID), Value: RetireValue(Disabled, now, operator), SameState: true}
		changes = append(changes, iamplan.Wrap(t, c.UserARN, fmt.Sprintf("tag %s %s=%q", c.User, t.Key, t.Value)))
	}
	p := plan.New(PlanDisable, now, base, changes)
	p.Diags = append(p.Diags, refused...)
	return p, refused
}

// RestorePlan reactivates a disabled key and removes its retire tag.
func RestorePlan(t Tracked, base string, now time.Time) *plan.Plan {
	on := iamplan.Header{Account: t.Account, User: t.User, AccessKeyID: t.AccessKeyID}
	tag := RetireTag(t.AccessKeyID)
	return plan.New(PlanRestore, now, base, []plan.Change{
		iamplan.Wrap(&iamplan.UpdateAccessKey{Header: on, Status: "Active"}, t.AccessKeyID,
			fmt.Sprintf("reactivate access key %s of %s (disabled %s)", t.AccessKeyID, t.User, t.Since.Format(time.RFC3339))),
		iamplan.Wrap(&iamplan.UntagUser{Header: on, Key: tag}, t.UserARN, fmt.Sprintf("untag %s %s", t.User, tag)),
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
func DeletePlan(results []WatchResult, base string, now time.Time, force *Override) (*plan.Plan, diag.Diagnostics) {
	var changes []plan.Change
	var refused diag.Diagnostics
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
				refused = append(refused, refusal(k.Account, k.User, k.AccessKeyID, reason))
				continue
			}
			notes = append(notes, fmt.Sprintf("FORCED despite %q: %s", reason, force.Reason))
		}
		on := iamplan.Header{Account: k.Account, User: k.User, AccessKeyID: k.AccessKeyID}
		del := on
		del.Backup = true
		tag := RetireTag(k.AccessKeyID)
		// The key must still be inactive: one found active again was
		// re-enabled since seiri disabled it, and is not deleted.
		changes = append(changes,
			iamplan.Wrap(&iamplan.DeleteAccessKey{Header: del, Before: "Inactive"}, k.AccessKeyID, fmt.Sprintf("delete access key %s of %s", k.AccessKeyID, k.User), notes...),
			iamplan.Wrap(&iamplan.UntagUser{Header: on, Key: tag}, k.UserARN, fmt.Sprintf("untag %s %s", k.User, tag)))
	}
	p := plan.New(PlanDelete, now, base, changes)
	p.Diags = append(p.Diags, refused...)
	return p, refused
}

func lastUsedText(t *time.Time, now time.Time) string {
	if t == nil {
		return "never"
	}
	return fmt.Sprintf("%s (%d days ago)", t.UTC().Format("2006-01-02"), int(now.Sub(*t).Hours()/24))
}

func evidenceText(e Evidence, now time.Time) string {
	s := e.Value()
	if e.LastUsed != nil {
		s = lastUsedText(e.LastUsed, now)
	}
	if e.Detail != "" {
		s += " — " + e.Detail
	}
	return s
}
