package demo

import (
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/version"
)

// WriteSnapshot stores the demo organization as a complete snapshot under
// snapshotsDir and returns its folder.
func (o *Org) WriteSnapshot(snapshotsDir string) (string, error) {
	w, err := snapshot.Create(snapshotsDir, o.Now)
	if err != nil {
		return "", err
	}
	defer w.Abort()
	m := &snapshot.Manifest{
		SeiriVersion: version.String(), Source: "demo",
		CallerARN: "arn:aws:sts::" + ManagementAccount + ":assumed-role/AWSReservedSSO_AdministratorAccess_0123456789abcdef/demo",
		StartedAt: o.Now, FinishedAt: o.Now,
	}
	names := map[string]string{}
	for _, a := range o.Organization.Accounts {
		names[a.ID] = a.Name
	}
	for _, a := range o.Accounts {
		rel, err := w.WriteAccount(a)
		if err != nil {
			return "", err
		}
		m.Accounts = append(m.Accounts, snapshot.AccountStatus{AccountID: a.AccountID, Name: names[a.AccountID], File: rel})
	}
	if err := w.WriteOrganization(o.Organization); err != nil {
		return "", err
	}
	return w.Commit(m)
}
