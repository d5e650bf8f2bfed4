package org

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// BaselineService is an organization-wide service seiri recommends enabling
// through trusted access (Organizations User Guide, "AWS services that you
// can use with AWS Organizations", which lists each service principal).
type BaselineService struct {
	Name       string   `json:"name"`
	Principals []string `json:"principals"` // any of them counts as enabled
	Why        string   `json:"why"`
}

// Baseline is the recommended set of organization-wide services.
var Baseline = []BaselineService{
	{"Organization CloudTrail", []string{"cloudtrail.amazonaws.com"}, "one trail logs every account, out of members' reach"},
	{"AWS Config", []string{"config.amazonaws.com", "config-multiaccountsetup.amazonaws.com"}, "resource configuration history and org-wide rules"},
	{"Amazon GuardDuty", []string{"guardduty.amazonaws.com"}, "threat detection in every account"},
	{"AWS Security Hub", []string{"securityhub.amazonaws.com"}, "findings aggregated across accounts"},
	{"IAM Access Analyzer", []string{"access-analyzer.amazonaws.com"}, "external and unused access with the organization as zone of trust"},
	{"AWS Backup", []string{"backup.amazonaws.com"}, "backup policies and cross-account backup"},
	{"AWS Firewall Manager", []string{"fms.amazonaws.com"}, "WAF, security group and network firewall policies org-wide"},
	{"IAM Identity Center", []string{"sso.amazonaws.com"}, "people sign in once, with permission sets instead of IAM users"},
}

// ServiceStatus is one baseline service in an organization.
type ServiceStatus struct {
	BaselineService
	Enabled        bool     `json:"enabled"`
	DelegatedAdmin []string `json:"delegatedAdmin,omitempty"`
	// Detail says what the verdict rests on when trusted access alone does
	// not decide it (the organization trail).
	Detail string `json:"detail,omitempty"`
}

// ReportNode is one level of the OU tree with its accounts and policies.
type ReportNode struct {
	Name     string          `json:"name"`
	ID       string          `json:"id"`
	Path     string          `json:"path"`
	Policies []string        `json:"policies,omitempty"` // "SCP name", "TAG name"
	Accounts []ReportAccount `json:"accounts,omitempty"`
	OUs      []*ReportNode   `json:"ous,omitempty"`
}

// ReportAccount is an account in the tree.
type ReportAccount struct {
	ID         string   `json:"id"`
	Name       string   `json:"name"`
	Email      string   `json:"email,omitempty"`
	Status     string   `json:"status,omitempty"`
	Management bool     `json:"management,omitempty"`
	Policies   []string `json:"policies,omitempty"`
}

// Report is `seiri org report`: the tree and the organization-wide services.
type Report struct {
	// Snapshot names the snapshot the report was built from (set by the
	// command).
	Snapshot     string          `json:"snapshot,omitempty"`
	Organization string          `json:"organizationId"`
	Root         *ReportNode     `json:"root"`
	Services     []ServiceStatus `json:"services"`
	// OtherServices are trusted services outside the baseline.
	OtherServices []string `json:"otherServices,omitempty"`
}

// BuildReport builds the report of a snapshot's organization.
func BuildReport(o *snapshot.Organization) (*Report, error) {
	s, err := FromSnapshot(o)
	if err != nil {
		return nil, err
	}
	pols := func(target string) []string {
		var out []string
		for _, k := range SortedKeys(s.Attachments[target]) {
			if p := s.Policies[k]; p != nil {
				out = append(out, strings.ToUpper(ShortType(p.Type))+" "+p.Name)
			}
		}
		return out
	}
	nodes := map[string]*ReportNode{"": {Name: "Root", ID: s.RootID, Policies: pols(RootTarget)}}
	paths := SortedKeys(s.OUs)
	for _, p := range paths { // sorted: parents first
		ou := s.OUs[p]
		n := &ReportNode{Name: ou.Name, ID: ou.ID, Path: p, Policies: pols(OUTarget(p))}
		nodes[p] = n
		if parent := nodes[ParentOf(p)]; parent != nil {
			parent.OUs = append(parent.OUs, n)
		}
	}
	for _, id := range SortedKeys(s.Accounts) {
		a := s.Accounts[id]
		if n := nodes[a.Parent]; n != nil {
			n.Accounts = append(n.Accounts, ReportAccount{ID: id, Name: a.Name, Email: a.Email, Status: a.Status, Management: id == s.Management, Policies: pols(AccountTarget(id))})
		}
	}
	r := &Report{Organization: o.ID, Root: nodes[""]}
	trusted := map[string]bool{}
	for _, sp := range o.TrustedServices {
		trusted[sp] = true
	}
	admins := map[string][]string{}
	for _, d := range o.DelegatedAdmins {
		for _, sp := range d.ServicePrincipals {
			admins[sp] = append(admins[sp], d.AccountID)
		}
	}
	inBaseline := map[string]bool{}
	for _, b := range Baseline {
		st := ServiceStatus{BaselineService: b}
		for _, sp := range b.Principals {
			inBaseline[sp] = true
			st.Enabled = st.Enabled || trusted[sp]
			st.DelegatedAdmin = append(st.DelegatedAdmin, admins[sp]...)
		}
		sort.Strings(st.DelegatedAdmin)
		r.Services = append(r.Services, st)
	}
	for _, sp := range o.TrustedServices {
		if !inBaseline[sp] {
			r.OtherServices = append(r.OtherServices, sp)
		}
	}
	sort.Strings(r.OtherServices)
	return r, nil
}

// Missing counts the baseline services not enabled.
func (r *Report) Missing() int {
	n := 0
	for _, s := range r.Services {
		if !s.Enabled {
			n++
		}
	}
	return n
}

// WriteReport prints the report as text. Names come from AWS and may hold
// anything: control characters are replaced.
func WriteReport(w io.Writer, r *Report) error {
	ous, accts := r.Root.counts()
	fmt.Fprintf(w, "Organization %s: %d accounts in %d OUs; baseline services: %d of %d enabled\n\n", r.Organization, accts, ous,
		len(r.Services)-r.Missing(), len(r.Services))
	var walk func(n *ReportNode, indent string)
	walk = func(n *ReportNode, indent string) {
		fmt.Fprintf(w, "%s%s (%s)", indent, safe(n.Name), n.ID)
		if len(n.Policies) > 0 {
			fmt.Fprintf(w, "  [%s]", safe(strings.Join(n.Policies, ", ")))
		}
		fmt.Fprintln(w)
		for _, a := range n.Accounts {
			fmt.Fprintf(w, "%s  • %s %s", indent, a.ID, safe(a.Name))
			if a.Management {
				fmt.Fprint(w, " (management: SCPs do not apply)")
			}
			if a.Status != "" && a.Status != "ACTIVE" {
				fmt.Fprintf(w, " %s", a.Status)
			}
			if len(a.Policies) > 0 {
				fmt.Fprintf(w, "  [%s]", safe(strings.Join(a.Policies, ", ")))
			}
			fmt.Fprintln(w)
		}
		for _, c := range n.OUs {
			walk(c, indent+"  ")
		}
	}
	walk(r.Root, "")
	fmt.Fprintf(w, "\nOrganization-wide services (trusted access) against the recommended baseline:\n")
	for _, s := range r.Services {
		mark, state := "✗", "not enabled"
		if s.Enabled {
			mark, state = "✓", "enabled"
		}
		fmt.Fprintf(w, "  %s %-24s %s", mark, s.Name, state)
		if len(s.DelegatedAdmin) > 0 {
			fmt.Fprintf(w, ", delegated admin %s", strings.Join(s.DelegatedAdmin, ", "))
		}
		if s.Detail != "" {
			fmt.Fprintf(w, " (%s)", safe(s.Detail))
		}
		if !s.Enabled {
			fmt.Fprintf(w, " — %s", s.Why)
		}
		fmt.Fprintln(w)
	}
	if len(r.OtherServices) > 0 {
		fmt.Fprintf(w, "  also trusted: %s\n", safe(strings.Join(r.OtherServices, ", ")))
	}
	_, err := fmt.Fprintf(w, "\nBaseline: %d of %d enabled.\n\nNext:\n"+
		"  seiri org import   # org.yaml from this organization, to manage it as code\n"+
		"  seiri scp list     # every policy with where it is attached\n", len(r.Services)-r.Missing(), len(r.Services))
	return err
}

// counts are the OUs (the root not counted) and accounts under n.
func (n *ReportNode) counts() (ous, accounts int) {
	if n == nil {
		return 0, 0
	}
	accounts = len(n.Accounts)
	for _, c := range n.OUs {
		o, a := c.counts()
		ous += 1 + o
		accounts += a
	}
	return ous, accounts
}

func safe(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return '?'
		}
		return r
	}, s)
}
