package groups_test

import (
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/groups"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// TestJudgeEffective: what groups.Judge (leastpriv's computation) grants
// for policy sets the group model builds.
func TestJudgeEffective(t *testing.T) {
	const user = "arn:aws:iam::123456789012:user/bob"
	pol := func(s string) groups.Doc {
		return groups.Doc{Name: "p", JSON: []byte(`{"Version":"2012-10-17","Statement":[` + s + `]}`)}
	}
	tests := []struct {
		name       string
		identity   []groups.Doc
		boundary   string
		has, hasnt []string
	}{
		{"wildcard", []groups.Doc{pol(`{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}`)},
			"", []string{"s3:GetObject", "s3:GetBucketPolicy"}, []string{"s3:PutObject", "ec2:DescribeInstances"}},
		{"boundary intersects", []groups.Doc{pol(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`)},
			`{"Effect":"Allow","Action":"s3:Get*","Resource":"*"}`, []string{"s3:GetObject"}, []string{"s3:PutObject"}},
		{"deny wins", []groups.Doc{pol(`{"Effect":"Allow","Action":"s3:*","Resource":"*"}`), pol(`{"Effect":"Deny","Action":"s3:Delete*","Resource":"*"}`)},
			"", []string{"s3:PutObject"}, []string{"s3:DeleteObject", "s3:DeleteBucket"}},
		{"resource scoped", []groups.Doc{pol(`{"Effect":"Allow","Action":["s3:GetObject","s3:ListBucket"],"Resource":"arn:aws:s3:::bucket/*"}`)},
			"", []string{"s3:GetObject", "s3:ListBucket"}, []string{"s3:PutObject"}},
		{"condition not met", []groups.Doc{pol(`{"Effect":"Allow","Action":"ec2:StartInstances","Resource":"*","Condition":{"IpAddress":{"aws:SourceIp":"10.0.0.0/8"}}}`)},
			"", nil, []string{"ec2:StartInstances"}},
		{"not action", []groups.Doc{pol(`{"Effect":"Allow","NotAction":["iam:*","organizations:*"],"Resource":"*"}`)},
			"", []string{"s3:GetObject", "ec2:RunInstances"}, []string{"iam:CreateUser", "organizations:LeaveOrganization"}},
		{"own user by variable, any account", []groups.Doc{pol(`{"Effect":"Allow","Action":"iam:ChangePassword","Resource":"arn:aws:iam::*:user/${aws:username}"}`)},
			"", []string{"iam:ChangePassword"}, nil},
		{"two policies union", []groups.Doc{pol(`{"Effect":"Allow","Action":"sqs:SendMessage","Resource":"*"}`), pol(`{"Effect":"Allow","Action":"sns:Publish","Resource":"*"}`)},
			"", []string{"sqs:SendMessage", "sns:Publish"}, []string{"sqs:DeleteQueue"}},
	}
	eng := engine
	for _, tt := range tests {
		g := &groups.Grants{Principal: user, UserName: "bob", Identity: tt.identity}
		if tt.boundary != "" {
			b := pol(tt.boundary)
			g.Boundary = &b
		}
		s, err := eng.Effective(g)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		for _, a := range tt.has {
			if !s.Contains(a) {
				t.Errorf("%s: %s not granted", tt.name, a)
			}
		}
		for _, a := range tt.hasnt {
			if s.Contains(a) {
				t.Errorf("%s: %s granted", tt.name, a)
			}
		}
	}
	// A broken policy is an error naming it, not a silent empty set.
	bad := &groups.Grants{Principal: user, UserName: "bob", Identity: []groups.Doc{{Name: "arn:aws:iam::123456789012:policy/broken", Source: "group devs", JSON: []byte(`{"Statement":`)}}}
	if _, err := eng.Effective(bad); err == nil {
		t.Error("broken policy: no error")
	}
}

func TestAnalyzeReportsUnreadableUsers(t *testing.T) {
	a := smallAccount()
	a.Users[1].AttachedPolicies = append(a.Users[1].AttachedPolicies, snapshot.AttachedPolicy{PolicyName: "gone", PolicyARN: "arn:aws:iam::123456789012:policy/gone"})
	an, err := groups.Analyze(groups.NewModel(a), groups.Options{Effective: engine.Effective})
	if err != nil {
		t.Fatal(err)
	}
	if len(an.Skipped) != 1 || an.Skipped[0].User != "small" || !strings.Contains(an.Skipped[0].Reason, "policy/gone") {
		t.Errorf("skipped: %+v", an.Skipped)
	}
	// The plan leaves a user it cannot compute alone.
	pr, err := groups.Propose(an, groups.PlanOptions{Options: groups.Options{Effective: engine.Effective}})
	if err == nil {
		for _, c := range pr.Changes {
			if strings.Contains(c.Description, "small") {
				t.Errorf("change for an uncomputable user: %s", c)
			}
		}
	}
}
