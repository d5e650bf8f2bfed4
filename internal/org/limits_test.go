package org

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/config"
)

func TestLimitsFromConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(text string) string {
		p := filepath.Join(dir, "seiri.yaml")
		if err := os.WriteFile(p, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	// An organization still on the old SCP quota.
	cfg, err := config.Load(write("org:\n  limits:\n    scp_size: 5120\n    scps_per_target: 5\n"))
	if err != nil {
		t.Fatal(err)
	}
	l := LimitsFrom(cfg)
	if l.SCPSize != 5120 || l.SCPsPerTarget != 5 || l.RCPSize != 5120 || l.OUDepth != 5 {
		t.Errorf("limits = %+v", l)
	}
	big := `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"s3:GetObject","Resource":"arn:aws:s3:::` + strings.Repeat("b", 6000) + `"}]}`
	d := writeSpec(t, "version: 1\nroot:\n  policies: [FullAWSAccess, big]\npolicies:\n  - name: big\n    content: '"+big+"'\n", nil)
	if ps := Validate(d, Options{Limits: l}); len(ps) != 1 || !strings.Contains(ps[0].Message, "over the scp limit of 5120") {
		t.Errorf("old quota: %v", ps)
	}
	if ps := Validate(d, Options{Limits: LimitsFrom(config.Default())}); len(ps) != 0 {
		t.Errorf("default quota: %v", ps)
	}
	if _, err := config.Load(write("org:\n  limits:\n    ou_depth: -1\n")); err == nil || !strings.Contains(err.Error(), "org.limits.ou_depth: -1 must not be negative") {
		t.Errorf("negative limit: %v", err)
	}
	if _, err := config.Load(write("org:\n  limits:\n    scp_sise: 1\n")); err == nil || !strings.Contains(err.Error(), "scp_sise") {
		t.Errorf("unknown key: %v", err)
	}
}
