package scp

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/demo"
	"github.com/seiri-dev/seiri/internal/org"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// TestScpSuggestWithAccessReport: the OU's Organizations access report is a
// second witness. A service the report shows used in the window (s3, only
// through data events CloudTrail did not log) stays open; one it shows used
// before the window (glacier) and one CloudTrail alone saw (ec2) behave as
// their witnesses say; without a report, CloudTrail alone decides and the
// output says so.
func TestScpSuggestWithAccessReport(t *testing.T) {
	now := time.Date(2026, 11, 28, 12, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { t := now.Add(-d); return &t }
	tests := []struct {
		name       string
		report     bool
		usage      bool
		wantCode   int
		wantOpen   []string // services beyond the kept ones
		wantOnly   []string
		wantSource []string
		wantText   []string
	}{
		{"report and cloudtrail", true, true, 0, []string{"ec2", "lambda", "s3"}, []string{"lambda", "s3"},
			[]string{"cloudtrail", "access-report"},
			[]string{"CloudTrail: 1 service(s) used: ec2", "service(s) used since 2026-10-29: ec2, lambda, s3", "kept open on the report's word only (not in CloudTrail): lambda, s3", "would newly deny nothing"}},
		{"cloudtrail only", false, true, 0, []string{"ec2"}, nil, []string{"cloudtrail"},
			[]string{"Organizations access report: none for Workloads in the snapshot", "CloudTrail only"}},
		{"report only", true, false, 0, []string{"ec2", "lambda", "s3"}, []string{"ec2", "lambda", "s3"}, []string{"cloudtrail", "access-report"},
			[]string{"no usage store in the workspace (run seiri trail scan): the access report alone decides"}},
		{"neither", false, false, cmdutil.ExitUsage, nil, nil, nil, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, "seiri.yaml"), []byte("org:\n  limits:\n    scps_per_target: 10\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			d := demo.Generate(now, 1)
			o := d.Organization
			st, err := org.FromSnapshot(o)
			if err != nil {
				t.Fatal(err)
			}
			key, err := st.TargetKey("Workloads")
			if err != nil {
				t.Fatal(err)
			}
			var prod string
			for id, a := range st.Accounts {
				if a.Parent == "Workloads/Prod" && (prod == "" || id < prod) {
					prod = id
				}
			}
			if tt.report {
				ouID := st.TargetID(key)
				o.AccessReports = []snapshot.OrgAccessReport{{TargetID: ouID, EntityPath: o.ID + "/" + st.RootID + "/" + ouID, GeneratedAt: now,
					Services: []snapshot.OrgServiceAccess{
						{Namespace: "s3", Name: "Amazon S3", LastAuthenticated: at(2 * time.Hour), Entities: 2},
						{Namespace: "ec2", LastAuthenticated: at(24 * time.Hour), Entities: 1},
						{Namespace: "lambda", LastAuthenticated: at(29 * 24 * time.Hour), Entities: 1},
						{Namespace: "glacier", LastAuthenticated: at(40 * 24 * time.Hour), Entities: 1}, // before the window
						{Namespace: "kms"}, // never used
					}}}
			}
			if _, err := d.WriteSnapshot(filepath.Join(dir, ".seiri", "snapshots")); err != nil {
				t.Fatal(err)
			}
			if tt.usage {
				store, err := usage.Open(context.Background(), filepath.Join(dir, ".seiri", "usage.db"))
				if err != nil {
					t.Fatal(err)
				}
				ci := "arn:aws:iam::" + prod + ":role/ci-deployer"
				if err := store.Upsert(context.Background(), []usage.Row{{Key: usage.Key{Account: prod, Principal: ci, PrincipalType: "AssumedRole",
					Action: "ec2:RunInstances", Region: "eu-west-1"}, Count: 3, Authz: true, FirstSeen: now.Add(-time.Hour), LastSeen: now.Add(-time.Hour)}}); err != nil {
					t.Fatal(err)
				}
				store.Close()
			}
			text, errOut, code := runOrg(t, dir, "scp", "suggest", "--target", "Workloads", "--days", "30")
			if code != tt.wantCode {
				t.Fatalf("exit %d, want %d\n%s%s", code, tt.wantCode, text, errOut)
			}
			if code != 0 {
				if !strings.Contains(errOut, "no usage store in the workspace and no Organizations access report") {
					t.Errorf("error %q", errOut)
				}
				return
			}
			for _, w := range tt.wantText {
				if !strings.Contains(text, w) {
					t.Errorf("output lacks %q:\n%s", w, text)
				}
			}
			out, errOut, code := runOrg(t, dir, "--output", "json", "scp", "suggest", "--target", "Workloads", "--days", "30")
			var got struct {
				org.Suggestion
				Impact *org.Impact `json:"impact"`
			}
			if code != 0 || json.Unmarshal([]byte(out), &got) != nil {
				t.Fatalf("json: %d %s %s", code, out, errOut)
			}
			want := append([]string(nil), tt.wantOpen...)
			for _, k := range org.SuggestKeep {
				want = append(want, k)
			}
			wantSet := map[string]bool{}
			for _, s := range want {
				wantSet[s] = true
			}
			gotSet := map[string]bool{}
			for _, s := range got.Open {
				gotSet[s] = true
			}
			if diff := cmp.Diff(wantSet, gotSet); diff != "" {
				t.Errorf("open (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantOnly, got.ReportOnly); diff != "" {
				t.Errorf("report-only (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantSource, got.Sources); diff != "" {
				t.Errorf("sources (-want +got):\n%s", diff)
			}
			for _, denied := range []string{"glacier", "kms"} {
				if gotSet[denied] {
					t.Errorf("%s left open though unused in the window", denied)
				}
			}
			if got.Impact == nil || got.Impact.NewlyDenied != 0 {
				t.Errorf("impact %+v, want zero", got.Impact)
			}
		})
	}
}
