// Package dashboard renders `seiri report`: one self-contained HTML file
// (inline CSS, JavaScript and SVG; no network, works from file://) built
// from what the analyses already computed — the snapshot and the one before
// it, the audit, the usage store, the key retirement candidates, unused
// permissions and generated policies, the groups, roles, Identity Center and
// organization plans, and the journal.
//
// The package is pure: it reads the models it is given and writes HTML.
// Big tables travel as one compact JSON data block that a small script
// pages, sorts and filters, so a 1,000-account organization's report stays
// small; the overview, the charts (SVG drawn here) and the organization tree
// are plain HTML. Every string that came from AWS (names, tags, user agents,
// policy documents) is escaped by html/template or inserted as text by the
// script, never as markup.
package dashboard

import (
	"time"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/groups"
	"github.com/seiri-dev/seiri/internal/keys"
	"github.com/seiri-dev/seiri/internal/leastpriv"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/plan"
	"github.com/seiri-dev/seiri/internal/roles"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/sso"
	"github.com/seiri-dev/seiri/internal/usage"
)

// Section ids: the anchors of the report's sections, and the keys of
// Input.Absent.
const (
	SecOverview   = "overview"
	SecFindings   = "findings"
	SecRisk       = "risk"
	SecSuspicious = "suspicious"
	SecKeys       = "keys"
	SecUnused     = "unused"
	SecPolicies   = "policies"
	SecUsage      = "usage"
	SecGroups     = "groups"
	SecRoles      = "roles"
	SecSSO        = "sso"
	SecOrg        = "org"
	SecOrgPlan    = "orgplan"
	SecJournal    = "journal"
	SecEntities   = "entities"
)

// Input is everything the report shows. A nil part is absent: its section
// says so, with the reason and the command that produces it taken from
// Absent[section] (never an empty "all good").
type Input struct {
	Version string
	// Generated is when the report was built (the only wall-clock value in
	// the page; tests normalise it).
	Generated time.Time
	// Now is the clock the analyses used (ages are computed from it).
	Now time.Time

	Snapshot *snapshot.Snapshot // required
	Previous *snapshot.Snapshot // the snapshot before it; nil: none

	Audit     *finding.Report // findings of Snapshot
	PrevAudit *finding.Report // the same rules over Previous (trend); nil: no trend

	// RiskRules and SuspiciousRules name the rule-id prefixes of the
	// privilege-escalation / external-access findings and of the
	// suspicious-use detections inside Audit. Suspicious is absent unless
	// SuspiciousRan.
	RiskPrefixes       []string
	SuspiciousPrefixes []string
	SuspiciousRan      bool

	Usage *Usage // nil: no usage store

	Keys     *keys.Result
	KeysNote string

	Unused   *leastpriv.OrgView
	Policies []*leastpriv.Generated // generated least-privilege policies with their proof
	// PolicyErrors are principals whose policy could not be generated, with why.
	PolicyErrors []string

	Groups     []*groups.Analysis
	GroupsPlan *plan.Plan
	// GroupsRefusals are the reasons the groups plan was refused.
	GroupsRefusals []string

	Roles []roles.Suggestion
	SSO   *sso.Plan

	Org       *org.Report
	OrgPlan   *org.Plan
	OrgImpact *org.Impact // nil with an OrgPlan: the impact could not be replayed (see Absent[SecOrgPlan])

	Journal []plan.Entry // nil: no journal (seiri made no write)

	// Absent maps a section id to why it is empty and what to run.
	Absent map[string]string
	// Notes are warnings the command met while gathering (shown on the
	// overview).
	Notes []string

	// CompressOver is the size of the data block (bytes of JSON) above which
	// it is stored gzip-compressed and base64-encoded (the browser inflates
	// it with DecompressionStream): 0 means DefaultCompressOver, a negative
	// value never.
	CompressOver int
}

// DefaultCompressOver keeps the data of small reports readable JSON and
// shrinks large organizations' reports about tenfold.
const DefaultCompressOver = 2 << 20

// Usage is what the usage store holds.
type Usage struct {
	Path   string
	Window string // the window the analyses used, e.g. "90 days (2026-09-01 to 2026-11-30)"
	Rows   []usage.Row
	Runs   []usage.Run
	Totals usage.Totals
}
