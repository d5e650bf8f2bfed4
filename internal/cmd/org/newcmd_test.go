package org

import (
	"bytes"
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/org"
)

// cli/cli-style tests from argv to options: each command parses its flags
// into its options and carries its dependencies as fields (issue 11 §2).

func parse(t *testing.T, cmd *cobra.Command, argv ...string) {
	t.Helper()
	cmd.SetArgs(argv)
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
}

func newFactory(output string) *cmdutil.Factory {
	f := cmdutil.NewFactory(&cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	f.Globals.Output = output
	return f
}

func TestNewCmdOrgInit(t *testing.T) {
	var got *OrgInitOptions
	parse(t, NewCmdOrgInit(newFactory("table"), func(o *OrgInitOptions) error { got = o; return nil }), "--out", "-", "--force")
	if got.IO == nil {
		t.Error("IO not set")
	}
	got.IO = nil
	if diff := cmp.Diff(OrgInitOptions{Template: "aws-multi-account", Out: "-", Force: true}, *got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNewCmdOrgImport(t *testing.T) {
	var got *OrgImportOptions
	parse(t, NewCmdOrgImport(newFactory("table"), func(o *OrgImportOptions) error { got = o; return nil }), "--snapshot", "s1", "--out", "infra/org.yaml")
	if got.IO == nil || got.Workspace == nil {
		t.Error("dependencies not set")
	}
	got.IO, got.Workspace = nil, nil
	if diff := cmp.Diff(OrgImportOptions{Snapshot: "s1", Out: "infra/org.yaml"}, *got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNewCmdOrgValidate(t *testing.T) {
	for _, c := range []struct {
		argv []string
		want OrgValidateOptions
	}{
		{nil, OrgValidateOptions{Output: "sarif", Spec: "org.yaml"}},
		{[]string{"infra/org.yaml"}, OrgValidateOptions{Output: "sarif", Spec: "infra/org.yaml"}},
	} {
		var got *OrgValidateOptions
		parse(t, NewCmdOrgValidate(newFactory("sarif"), func(o *OrgValidateOptions) error { got = o; return nil }), c.argv...)
		if got.IO == nil || got.Config == nil || got.Catalog == nil || got.WorkDir == nil {
			t.Errorf("%v: dependencies not set", c.argv)
		}
		got.IO, got.Config, got.Catalog, got.WorkDir = nil, nil, nil, nil
		if diff := cmp.Diff(c.want, *got); diff != "" {
			t.Errorf("%v (-want +got):\n%s", c.argv, diff)
		}
	}
}

func TestNewCmdOrgPlan(t *testing.T) {
	var got *OrgPlanOptions
	parse(t, NewCmdOrgPlan(newFactory("json"), func(o *OrgPlanOptions) error { got = o; return nil }), "--spec", "infra/org.yaml", "--out", "p.json", "--days", "7")
	if got.IO == nil || got.Workspace == nil || got.Config == nil || got.Catalog == nil || got.Now == nil || got.Logger == nil || got.Context == nil {
		t.Errorf("dependencies not set: %+v", got)
	}
	got.IO, got.Workspace, got.Config, got.Catalog, got.Now, got.Logger, got.Context = nil, nil, nil, nil, nil, nil, nil
	if diff := cmp.Diff(OrgPlanOptions{Output: "json", Spec: "infra/org.yaml", Snapshot: "latest", Out: "p.json", Days: 7}, *got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNewCmdOrgReport(t *testing.T) {
	var got *OrgReportOptions
	parse(t, NewCmdOrgReport(newFactory("json"), func(o *OrgReportOptions) error { got = o; return nil }), "--snapshot", "s2")
	if got.IO == nil || got.Workspace == nil {
		t.Error("dependencies not set")
	}
	got.IO, got.Workspace = nil, nil
	if diff := cmp.Diff(OrgReportOptions{Output: "json", Snapshot: "s2"}, *got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNewCmdOrgStage(t *testing.T) {
	var got *OrgStageOptions
	parse(t, NewCmdOrgStage(newFactory("table"), func(o *OrgStageOptions) error { got = o; return nil }),
		"regions", "--target", "Workloads", "--canary", "555555555555", "--test-account", "1,2", "--wait", "72h", "--days", "14")
	if got.IO == nil || got.Workspace == nil || got.Config == nil || got.Catalog == nil || got.Now == nil || got.Logger == nil || got.Context == nil {
		t.Errorf("dependencies not set: %+v", got)
	}
	got.IO, got.Workspace, got.Config, got.Catalog, got.Now, got.Logger, got.Context = nil, nil, nil, nil, nil, nil, nil
	want := OrgStageOptions{Policy: "regions", Target: "Workloads", Spec: "org.yaml", Snapshot: "latest", Canary: "555555555555",
		TestAccounts: []string{"1", "2"}, StagingOU: "Policy Staging", Wait: 72 * time.Hour, Days: 14}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestNewCmdOrgApply(t *testing.T) {
	var got *OrgApplyOptions
	parse(t, NewCmdOrgApply(newFactory("table"), func(o *OrgApplyOptions) error { got = o; return nil }),
		"plan.json", "--yes", "--force-lockout-risk", "--reason", "CHG-1", "--snapshot", "s1")
	if got.IO == nil || got.Workspace == nil || got.Catalog == nil || got.Now == nil || got.Logger == nil || got.Context == nil || got.OpenAWS == nil || got.Apply == nil {
		t.Errorf("dependencies not set: %+v", got)
	}
	got.IO, got.Workspace, got.Catalog, got.Now, got.Logger, got.Context, got.OpenAWS, got.Apply = nil, nil, nil, nil, nil, nil, nil, nil
	want := OrgApplyOptions{PlanFile: "plan.json", Snapshot: "s1", Yes: true, ForceLockoutRisk: true, Reason: "CHG-1", Days: 30, Output: "table"}
	if diff := cmp.Diff(want, *got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	// --force-lockout-risk without a reason is refused before the run.
	cmd := NewCmdOrgApply(newFactory("table"), func(*OrgApplyOptions) error { t.Error("ran"); return nil })
	cmd.SetArgs([]string{"plan.json", "--force-lockout-risk"})
	cmd.SetOut(&bytes.Buffer{})
	cmd.SetErr(&bytes.Buffer{})
	if err := cmd.Execute(); err == nil {
		t.Error("--force-lockout-risk without --reason accepted")
	}
}

// org schema: no flags; the run writes org.yaml's JSON Schema, byte for
// byte, to the options' output.
func TestNewCmdOrgSchema(t *testing.T) {
	f := newFactory("table")
	var got *OrgSchemaOptions
	parse(t, NewCmdOrgSchema(f, func(o *OrgSchemaOptions) error { got = o; return nil }))
	if got == nil || got.IO != f.IO {
		t.Fatalf("options %+v: want the factory's IO", got)
	}
	var out bytes.Buffer
	if err := orgSchemaRun(&OrgSchemaOptions{IO: &cmdutil.IOStreams{Out: &out}}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(out.Bytes(), org.Schema()) || !json.Valid(out.Bytes()) {
		t.Errorf("org schema wrote %d bytes, not org.Schema() (%d bytes) as valid JSON", out.Len(), len(org.Schema()))
	}
}
