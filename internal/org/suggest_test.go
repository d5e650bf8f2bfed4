package org

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

func TestSuggestWithReport(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	since := now.AddDate(0, 0, -30)
	at := func(days int) *time.Time { t := now.AddDate(0, 0, -days); return &t }
	rows := []usage.Row{
		{Key: usage.Key{Action: "ec2:RunInstances"}, Authz: true},
		{Key: usage.Key{Action: "EC2:DescribeInstances"}, Authz: true},
		{Key: usage.Key{Action: "dynamodb:GetItem"}, Authz: false}, // not an authorization decision
	}
	rep := &snapshot.OrgAccessReport{TargetID: "ou-1", EntityPath: "o-1/r-1/ou-1", GeneratedAt: now, Services: []snapshot.OrgServiceAccess{
		{Namespace: "S3", LastAuthenticated: at(1)},
		{Namespace: "ec2", LastAuthenticated: at(3)},
		{Namespace: "glacier", LastAuthenticated: at(31)},
		{Namespace: "kms"},
		{Namespace: " "},
	}}
	tests := []struct {
		name                      string
		rep                       *snapshot.OrgAccessReport
		open, trail, report, only []string
		sources                   []string
	}{
		{"cloudtrail only", nil, []string{"ec2", "sts"}, []string{"ec2"}, nil, nil, []string{SourceCloudTrail}},
		{"with report", rep, []string{"ec2", "s3", "sts"}, []string{"ec2"}, []string{"ec2", "s3"}, []string{"s3"}, []string{SourceCloudTrail, SourceAccessReport}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			sg := SuggestWithReport(rows, tt.rep, since, []string{"sts"})
			got := []any{sg.Open, sg.TrailUsed, sg.ReportUsed, sg.ReportOnly, sg.Sources}
			want := []any{tt.open, tt.trail, tt.report, tt.only, tt.sources}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if (sg.Report != nil) != (tt.rep != nil) {
				t.Errorf("report ref %+v", sg.Report)
			}
		})
	}
}

func TestAccessReportFor(t *testing.T) {
	o := &snapshot.Organization{AccessReports: []snapshot.OrgAccessReport{{TargetID: "r-1"}, {TargetID: "ou-2"}}}
	for id, want := range map[string]bool{"r-1": true, "ou-2": true, "ou-3": false, "": false} {
		if got := AccessReportFor(o, id) != nil; got != want {
			t.Errorf("%q: %v", id, got)
		}
	}
	if AccessReportFor(nil, "r-1") != nil {
		t.Error("nil organization")
	}
}
