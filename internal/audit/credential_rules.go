package audit

import (
	"fmt"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// certExpiringWindow: a server certificate expiring within it is reported.
const certExpiringWindow = 30 * 24 * time.Hour

// rootMFAActive says whether the root user has an MFA device, from the
// credential report's <root_account> row or, without it, the account
// summary's AccountMFAEnabled (IAM API reference, GetAccountSummary); known
// is false when neither was collected.
func rootMFAActive(a *snapshot.Account) (active, known bool, source string) {
	if a.CredentialReport != nil {
		if row := a.CredentialReport.Root(); row != nil {
			return row.MFAActive, true, "mfa_active (credential report)"
		}
	}
	if v, ok := a.Summary["AccountMFAEnabled"]; ok {
		return v == 1, true, "AccountMFAEnabled (account summary)"
	}
	return false, false, ""
}

// rootVirtualMFA reports a root user whose MFA is a virtual device. CIS
// AWS Foundations 1.6's audit: ListVirtualMFADevices lists the root user's
// virtual device (serial arn:aws:iam::<account>:mfa/root-account-mfa-device,
// user arn:aws:iam::<account>:root); MFA enabled with no virtual device
// assigned to root is a hardware device or a passkey.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/enable-virt-mfa-for-root.html
// Nothing is said when the devices were not collected, or when root has no
// MFA at all (SEIRI-ROOT-NO-MFA says that).
func (r *run) rootVirtualMFA(a *snapshot.Account) {
	if !a.VirtualMFACollected {
		return
	}
	active, known, source := rootMFAActive(a)
	if !known || !active {
		return
	}
	for _, d := range a.VirtualMFADevices {
		if !strings.HasSuffix(d.User, ":root") {
			continue
		}
		evs := []finding.Evidence{ev("virtual MFA device (ListVirtualMFADevices)", d.SerialNumber), ev("assigned to", d.User), ev(source, "true")}
		if !d.EnableDate.IsZero() {
			evs = append(evs, ev("enabled", r.date(d.EnableDate)))
		}
		r.add(RootVirtualMFA, a.AccountID, d.User, "Root user's MFA is a virtual device", evs...)
		return
	}
}

// serverCertificates reports expired IAM server certificates, and those
// expiring within 30 days (IAM User Guide, "Managing server certificates
// in IAM": delete expired ones).
func (r *run) serverCertificates(a *snapshot.Account) {
	if !a.ServerCertificatesCollected {
		return
	}
	for _, c := range a.ServerCertificates {
		if c.Expiration.IsZero() {
			continue
		}
		evs := []finding.Evidence{ev("server certificate", c.Name), ev("certificate id", c.ID), ev("expiration", c.Expiration.UTC().Format(time.RFC3339))}
		if !c.UploadDate.IsZero() {
			evs = append(evs, ev("uploaded", r.date(c.UploadDate)))
		}
		arn := c.ARN
		if arn == "" {
			arn = fmt.Sprintf("arn:aws:iam::%s:server-certificate%s%s", a.AccountID, pathOr(c.Path), c.Name)
		}
		switch {
		case !c.Expiration.After(r.now):
			d := r.ageDays(c.Expiration)
			r.add(ServerCertExpired, a.AccountID, arn, fmt.Sprintf("Server certificate %s expired %s ago", c.Name, plural(d, "day", "days")), evs...)
		case c.Expiration.Before(r.now.Add(certExpiringWindow)):
			d := int(c.Expiration.Sub(r.now) / (24 * time.Hour))
			r.add(ServerCertExpiring, a.AccountID, arn, fmt.Sprintf("Server certificate %s expires in %s", c.Name, plural(d, "day", "days")), evs...)
		}
	}
}

func pathOr(p string) string {
	if p == "" {
		return "/"
	}
	return p
}

// organizationAnalyzers are the active organization analyzers of the
// snapshot's accounts, by region. An organization analyzer is listed only
// by the account that owns it (IAM User Guide, "Enabling IAM Access
// Analyzer": the management or delegated administrator account).
func organizationAnalyzers(accts []*snapshot.Account) map[string]string {
	out := map[string]string{}
	for _, a := range accts {
		if a.AccessAnalyzers == nil {
			continue
		}
		for _, reg := range a.AccessAnalyzers.Regions {
			for _, an := range reg.Analyzers {
				if an.Type == "ORGANIZATION" && an.Status == "ACTIVE" {
					out[reg.Region] = an.ARN
				}
			}
		}
	}
	return out
}

// accessAnalyzer reports each region collect read where no active external
// access analyzer covers the account (CIS AWS Foundations 1.20), and says
// "not known" for an account or region whose analyzers were not listed.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/what-is-access-analyzer.html
func (r *run) accessAnalyzer(a *snapshot.Account, orgAnalyzers map[string]string) {
	root := fmt.Sprintf("arn:aws:iam::%s:root", a.AccountID)
	if a.AccessAnalyzers == nil {
		// A snapshot from before seiri listed analyzers (or an import):
		// nothing is claimed either way. Not a finding, so that older
		// snapshots' audits do not grow one per account.
		return
	}
	for _, reg := range a.AccessAnalyzers.Regions {
		if reg.Error != "" {
			r.add(AnalyzerNotCollected, a.AccountID, root, fmt.Sprintf("IAM Access Analyzer analyzers of %s in %s not collected", a.AccountID, reg.Region),
				ev("region", reg.Region), ev("access-analyzer ListAnalyzers", reg.Error))
			continue
		}
		if _, ok := orgAnalyzers[reg.Region]; ok {
			continue
		}
		var others []string
		covered := false
		for _, an := range reg.Analyzers {
			if an.Type == "ACCOUNT" && an.Status == "ACTIVE" {
				covered = true
				break
			}
			others = append(others, fmt.Sprintf("%s (%s, %s)", an.Name, an.Type, an.Status))
		}
		if covered {
			continue
		}
		listed := "none"
		if len(others) > 0 {
			listed = strings.Join(others, ", ")
		}
		r.add(AnalyzerMissing, a.AccountID, root, fmt.Sprintf("No IAM Access Analyzer in %s for %s", reg.Region, a.AccountID),
			ev("region", reg.Region), ev("analyzers of the account (ListAnalyzers)", listed),
			ev("organization analyzer in the region", "none among the snapshot's accounts"))
	}
}
