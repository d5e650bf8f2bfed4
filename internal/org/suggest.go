package org

import (
	"encoding/json"
	"sort"
	"strings"

	"github.com/seiri-dev/seiri/internal/usage"
)

// SuggestKeep are services a service-deny SCP always leaves open: identity,
// sessions, the organization itself and support are what people and seiri
// need to recover from a too-strict policy.
var SuggestKeep = []string{"sts", "iam", "organizations", "support", "health", "signin", "sso", "account"}

// AccountsUnder lists the accounts in the OU at path or below it (path ""
// is the whole organization), sorted.
func (s *State) AccountsUnder(path string) []string {
	var out []string
	for id, a := range s.Accounts {
		if a.ID == "" {
			continue
		}
		if path == "" || a.Parent == path || isUnder(a.Parent, path) {
			out = append(out, id)
		}
	}
	sort.Strings(out)
	return out
}

// Suggestion is a service-deny SCP built from recorded usage.
type Suggestion struct {
	Content string   `json:"content"`
	Open    []string `json:"open"` // service prefixes the policy leaves open (used, or always kept)
	Used    []string `json:"used"` // service prefixes seen in the usage
}

// SuggestServiceDeny builds an SCP that denies every service nobody used in
// rows (authorization decisions only), as one Deny with NotAction listing the
// open services: replaying the same rows through it denies nothing, by
// construction. CloudTrail does not log data events by default, so a
// service used only through them (S3 objects, Lambda invokes) would look
// unused: review the list.
func SuggestServiceDeny(rows []usage.Row, keep []string) Suggestion {
	used := map[string]bool{}
	for _, r := range rows {
		if !r.Authz {
			continue
		}
		if svc, _, ok := strings.Cut(r.Action, ":"); ok && svc != "" {
			used[strings.ToLower(svc)] = true
		}
	}
	open := map[string]bool{}
	for s := range used {
		open[s] = true
	}
	for _, s := range keep {
		open[s] = true
	}
	sg := Suggestion{Used: sortedKeys(used), Open: sortedKeys(open)}
	var actions []string
	for _, s := range sg.Open {
		actions = append(actions, s+":*")
	}
	doc := map[string]any{"Version": "2012-10-17", "Statement": []any{map[string]any{
		"Sid": "DenyUnusedServices", "Effect": "Deny", "NotAction": actions, "Resource": "*"}}}
	b, _ := json.Marshal(doc)
	sg.Content = string(b)
	return sg
}
