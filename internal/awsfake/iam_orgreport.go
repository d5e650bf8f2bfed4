package awsfake

import (
	"fmt"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// The Organizations access report: IAM's Access Advisor aggregated over the
// accounts below an organization entity, generated from the management
// account only.
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GenerateOrganizationsAccessReport.html
// https://docs.aws.amazon.com/IAM/latest/APIReference/API_GetOrganizationsAccessReport.html
func init() {
	iamOps["GenerateOrganizationsAccessReport"] = iamGenerateOrganizationsAccessReport
	iamOps["GetOrganizationsAccessReport"] = iamGetOrganizationsAccessReport
}

type orgReportJob struct {
	path      string
	created   time.Time
	pollsLeft int
	details   []orgDetail
}

type orgDetail struct {
	ns, name, region, entity string
	last                     *time.Time
	entities                 int
}

// orgJobs holds each server's report jobs (the Server struct is shared with
// other features; this keeps the addition in its own file). Handlers run
// under the server's mutex; orgJobsMu guards the outer map only.
var (
	orgJobsMu sync.Mutex
	orgJobs   = map[*Server]map[string]*orgReportJob{}
)

func jobsOf(s *Server) map[string]*orgReportJob {
	orgJobsMu.Lock()
	defer orgJobsMu.Unlock()
	m := orgJobs[s]
	if m == nil {
		m = map[string]*orgReportJob{}
		orgJobs[s] = m
	}
	return m
}

// orgEntityPaths maps every root, OU and account of o to its entity path
// (o-xxx/r-xxx/ou-xxx/.../ou-yyy or .../123456789012).
func orgEntityPaths(o *snapshot.Organization) map[string]string {
	parent := map[string]string{}
	for _, u := range o.OUs {
		parent[u.ID] = u.ParentID
	}
	for _, a := range o.Accounts {
		parent[a.ID] = a.ParentID
	}
	out := map[string]string{}
	for _, r := range o.Roots {
		out[r.ID] = o.ID + "/" + r.ID
	}
	var resolve func(id string, depth int) string
	resolve = func(id string, depth int) string {
		if p, ok := out[id]; ok {
			return p
		}
		par, ok := parent[id]
		if !ok || depth > 10 {
			return ""
		}
		pp := resolve(par, depth+1)
		if pp == "" {
			return ""
		}
		out[id] = pp + "/" + id
		return out[id]
	}
	for id := range parent {
		resolve(id, 0)
	}
	return out
}

func iamGenerateOrganizationsAccessReport(c *call) (any, *Error) {
	o := c.s.scenario.Organization
	if o == nil {
		return nil, errf(400, "ReportGenerationLimitExceeded", "awsfake: no organization in the scenario")
	}
	if c.who.account != o.ManagementAccount {
		return nil, errf(403, "AccessDenied", "Only the management account of the organization can generate an organizations access report.")
	}
	path := c.str("EntityPath")
	paths := orgEntityPaths(o)
	found := false
	for _, p := range paths {
		if p == path {
			found = true
			break
		}
	}
	if !found {
		return nil, errf(400, "InvalidInput", "Invalid entity path: %s", path)
	}
	// Aggregate the Access Advisor data of every principal of every account
	// at or below path, per service.
	agg := map[string]*orgDetail{}
	used := map[string]map[string]bool{} // service -> accounts that used it
	var accts []string
	for id, p := range paths {
		if p == path || strings.HasPrefix(p, path+"/") {
			if st := c.s.accounts[id]; st != nil {
				accts = append(accts, id)
			}
		}
	}
	sort.Strings(accts)
	for _, id := range accts {
		a := c.s.accounts[id].acct
		var all []snapshot.ServiceAccess
		for _, u := range a.Users {
			all = append(all, u.AccessAdvisor...)
		}
		for _, r := range a.Roles {
			all = append(all, r.AccessAdvisor...)
		}
		for _, sa := range all {
			d := agg[sa.ServiceNamespace]
			if d == nil {
				d = &orgDetail{ns: sa.ServiceNamespace, name: sa.ServiceName}
				agg[sa.ServiceNamespace] = d
			}
			if sa.LastAuthenticated == nil {
				continue
			}
			if used[sa.ServiceNamespace] == nil {
				used[sa.ServiceNamespace] = map[string]bool{}
			}
			used[sa.ServiceNamespace][id] = true
			if d.last == nil || sa.LastAuthenticated.After(*d.last) {
				t := *sa.LastAuthenticated
				d.last, d.region, d.entity = &t, sa.LastRegion, paths[id]
			}
		}
	}
	job := &orgReportJob{path: path, created: time.Now().UTC(), pollsLeft: c.s.faults.aaInProgress}
	for ns, d := range agg {
		d.entities = len(used[ns])
		job.details = append(job.details, *d)
	}
	sort.Slice(job.details, func(i, j int) bool { return job.details[i].ns < job.details[j].ns })
	c.s.jobSeq++
	id := fmt.Sprintf("fake-orgjob-%06d", c.s.jobSeq)
	jobsOf(c.s)[id] = job
	x := &xmlBody{}
	x.el("JobId", id)
	return x, nil
}

func iamGetOrganizationsAccessReport(c *call) (any, *Error) {
	job := jobsOf(c.s)[c.str("JobId")]
	if job == nil {
		return nil, errf(404, "NoSuchEntity", "Job %s cannot be found.", c.str("JobId"))
	}
	x := &xmlBody{}
	x.time("JobCreationDate", job.created)
	if job.pollsLeft > 0 {
		job.pollsLeft--
		x.el("JobStatus", "IN_PROGRESS")
		return x, nil
	}
	x.el("JobStatus", "COMPLETED")
	x.time("JobCompletionDate", job.created)
	accessed := 0
	for _, d := range job.details {
		if d.last != nil {
			accessed++
		}
	}
	x.int("NumberOfServicesAccessible", int64(len(job.details)))
	x.int("NumberOfServicesNotAccessed", int64(len(job.details)-accessed))
	start, end, marker, perr := c.page(len(job.details), "MaxItems", "Marker")
	if perr != nil {
		return nil, perr
	}
	pg := job.details[start:end]
	x.list("AccessDetails", len(pg), func(i int) {
		d := pg[i]
		x.el("ServiceName", d.name)
		x.el("ServiceNamespace", d.ns)
		if d.last != nil {
			x.time("LastAuthenticatedTime", *d.last)
			x.opt("EntityPath", d.entity)
			x.opt("Region", d.region)
		}
		x.int("TotalAuthenticatedEntities", int64(d.entities))
	})
	x.truncated(marker)
	return x, nil
}
