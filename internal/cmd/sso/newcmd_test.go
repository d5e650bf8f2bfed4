package sso

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	groupscmd "github.com/seiri-dev/seiri/internal/cmd/groups"
)

func TestNewCmdSSOPlan(t *testing.T) {
	tests := []struct {
		args []string
		want SSOPlanOptions
	}{
		{nil, SSOPlanOptions{Input: groupscmd.Input{Snapshot: "latest", Days: 90}}},
		{[]string{"--format", "terraform", "--out", "sso.tf", "--proposed", "--account", "111111111111"},
			SSOPlanOptions{Input: groupscmd.Input{Snapshot: "latest", Account: "111111111111", Days: 90}, Format: "terraform", Out: "sso.tf", Proposed: true}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
			var got *SSOPlanOptions
			cmd := NewCmdSSOPlan(f, func(o *SSOPlanOptions) error { got = o; return nil })
			cmd.SetArgs(tt.args)
			if err := cmd.Execute(); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, *got, cmpopts.IgnoreFields(SSOPlanOptions{}, "Env")); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}
