package org

import (
	"encoding/json"
	"sort"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
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

// Witness sources of a Suggestion.
const (
	SourceCloudTrail   = "cloudtrail"
	SourceAccessReport = "access-report"
)

// Suggestion is a service-deny SCP built from recorded usage.
type Suggestion struct {
	Content string   `json:"content"`
	Open    []string `json:"open"` // service prefixes the policy leaves open (used, or always kept)
	Used    []string `json:"used"` // service prefixes used per any witness
	// Sources are the witnesses consulted: cloudtrail, and access-report
	// when the target's Organizations access report was in the snapshot.
	Sources []string `json:"sources"`
	// TrailUsed are the services seen in CloudTrail; ReportUsed those the
	// access report shows used in the window. ReportOnly are in ReportUsed
	// but not TrailUsed: kept open only because of the report (data events
	// CloudTrail does not log, or accounts whose trail was not scanned).
	TrailUsed  []string `json:"trailUsed"`
	ReportUsed []string `json:"reportUsed,omitempty"`
	ReportOnly []string `json:"reportOnly,omitempty"`
	// Report names the access report used (nil: CloudTrail only).
	Report *ReportRef `json:"report,omitempty"`
}

// ReportRef identifies the Organizations access report a Suggestion used.
type ReportRef struct {
	TargetID    string    `json:"targetId"`
	EntityPath  string    `json:"entityPath"`
	GeneratedAt time.Time `json:"generatedAt"`
}

// AccessReportFor returns the Organizations access report collected for
// the root or OU id targetID, or nil.
func AccessReportFor(o *snapshot.Organization, targetID string) *snapshot.OrgAccessReport {
	if o == nil || targetID == "" {
		return nil
	}
	for i := range o.AccessReports {
		if o.AccessReports[i].TargetID == targetID {
			return &o.AccessReports[i]
		}
	}
	return nil
}

// TargetID is the AWS id (r-... or ou-...) of a root or OU target key, ""
// when unknown (an OU not created yet).
func (s *State) TargetID(key string) string {
	if key == RootTarget {
		return s.RootID
	}
	if ou := s.OUs[strings.TrimPrefix(key, "ou:")]; ou != nil && strings.HasPrefix(key, "ou:") {
		return ou.ID
	}
	return ""
}

// SuggestWithReport builds an SCP that denies every service nobody used in
// rows (authorization decisions only), as one Deny with NotAction listing the
// open services: replaying the same rows through it denies nothing, by
// construction. CloudTrail does not log data events by default, so a
// service used only through them (S3 objects, Lambda invokes) would look
// unused: the target's Organizations access report (rep, nil when not
// collected) is a second witness: a service is denied only when neither
// CloudTrail (rows) nor the report (last authenticated at or after since)
// shows it used. The report counts every authenticated request, data
// events included, so it covers what a default trail misses.
func SuggestWithReport(rows []usage.Row, rep *snapshot.OrgAccessReport, since time.Time, keep []string) Suggestion {
	trail := map[string]bool{}
	for _, r := range rows {
		if !r.Authz {
			continue
		}
		if svc, _, ok := strings.Cut(r.Action, ":"); ok && svc != "" {
			trail[strings.ToLower(svc)] = true
		}
	}
	report := map[string]bool{}
	sg := Suggestion{Sources: []string{SourceCloudTrail}}
	if rep != nil {
		sg.Sources = append(sg.Sources, SourceAccessReport)
		sg.Report = &ReportRef{TargetID: rep.TargetID, EntityPath: rep.EntityPath, GeneratedAt: rep.GeneratedAt}
		for _, sv := range rep.Services {
			ns := strings.ToLower(strings.TrimSpace(sv.Namespace))
			if ns != "" && sv.LastAuthenticated != nil && !sv.LastAuthenticated.Before(since) {
				report[ns] = true
			}
		}
	}
	used := map[string]bool{}
	only := map[string]bool{}
	for s := range trail {
		used[s] = true
	}
	for s := range report {
		used[s] = true
		if !trail[s] {
			only[s] = true
		}
	}
	open := map[string]bool{}
	for s := range used {
		open[s] = true
	}
	for _, s := range keep {
		open[s] = true
	}
	sg.Used, sg.Open, sg.TrailUsed = SortedKeys(used), SortedKeys(open), SortedKeys(trail)
	if rep != nil {
		sg.ReportUsed, sg.ReportOnly = SortedKeys(report), SortedKeys(only)
	}
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
