package collect

import (
	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/accessanalyzer"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// accessAnalyzers lists the IAM Access Analyzer analyzers of the account in
// every region collect reads (CIS AWS Foundations 1.20: an analyzer in
// every active region). A region that cannot be read keeps its error: its
// analyzers are unknown, not absent. An organization analyzer is listed
// only in the account that owns it (the management or delegated
// administrator account), so audit looks across the snapshot's accounts.
// https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ListAnalyzers.html
func (r *accountRun) accessAnalyzers() {
	aa := &snapshot.AccessAnalyzers{}
	for _, region := range r.regions() {
		reg := snapshot.AnalyzerRegion{Region: region, Analyzers: []snapshot.Analyzer{}}
		c := accessanalyzer.NewFromConfig(r.c.Config, func(o *accessanalyzer.Options) { o.Region = region })
		p := accessanalyzer.NewListAnalyzersPaginator(c, &accessanalyzer.ListAnalyzersInput{})
		for p.HasMorePages() {
			page, err := p.NextPage(r.ctx)
			if err != nil {
				reg.Error = awsclient.ErrorSummary(err)
				reg.Analyzers = []snapshot.Analyzer{}
				r.warn("IAM Access Analyzer analyzers in %s not collected (access-analyzer ListAnalyzers: %s)", region, reg.Error)
				break
			}
			for _, a := range page.Analyzers {
				reg.Analyzers = append(reg.Analyzers, snapshot.Analyzer{ARN: aws.ToString(a.Arn), Name: aws.ToString(a.Name),
					Type: string(a.Type), Status: string(a.Status)})
			}
		}
		aa.Regions = append(aa.Regions, reg)
	}
	r.acct.AccessAnalyzers = aa
}
