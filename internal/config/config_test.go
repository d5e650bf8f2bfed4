package config

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestEmptyFileMeansDefaults(t *testing.T) {
	for name, text := range map[string]string{
		"empty":              "",
		"only a comment":     "# seiri settings, none yet\n",
		"comments and blank": "\n# audit:\n#   unused_key_days: 30\n\n",
		"document marker":    "---\n",
		"BOM and comment":    "\xEF\xBB\xBF# saved by Notepad\n",
		"empty section":      "audit:\nkeys:\n",
	} {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "seiri.yaml")
			os.WriteFile(p, []byte(text), 0o600)
			c, err := Load(p)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(Default(), c); diff != "" {
				t.Errorf("(-defaults +got):\n%s", diff)
			}
		})
	}
}

func TestParse(t *testing.T) {
	want := Default()
	want.Audit.UnusedKeyDays = 30
	want.Keys.Allowlist = []string{"ci-bot"}
	tests := []struct {
		name, text string
		want       *Config
		wantErr    string
	}{
		{"override", "audit:\n  unused_key_days: 30\nkeys:\n  allowlist: [ci-bot]\n", want, ""},
		{"override with BOM", "\xEF\xBB\xBFaudit:\n  unused_key_days: 30\nkeys:\n  allowlist: [ci-bot]\n", want, ""},
		{"UTF-16", "\xFF\xFEa\x00u\x00", nil, "config seiri.yaml: the file is UTF-16 (little-endian) text; re-save it as UTF-8"},
		{"unknown key", "audit:\n  unused_keys_days: 30\n", nil, "config seiri.yaml: [2:3] unknown field \"unused_keys_days\"\n   1 | audit:\n>  2 |   unused_keys_days: 30\n         ^\n"},
		{"zero is refused, same key every run", "audit:\n  inactive_user_days: 0\n  unused_key_days: 0\n  root_used_days: 0\n", nil,
			"config seiri.yaml: audit.inactive_user_days: 0 must be a positive number of days"},
		{"negative limit", "org:\n  limits:\n    ous: -1\n    scp_size: -2\n", nil, "config seiri.yaml: org.limits.scp_size: -2 must not be negative (0 keeps the AWS default)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			for range 5 { // map order would show here
				c, err := Parse("seiri.yaml", []byte(tt.text))
				if tt.wantErr != "" {
					if err == nil || err.Error() != tt.wantErr {
						t.Fatalf("error\n got %v\nwant %s", err, tt.wantErr)
					}
					continue
				}
				if err != nil {
					t.Fatal(err)
				}
				if diff := cmp.Diff(tt.want, c); diff != "" {
					t.Errorf("(-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestLoadMissing(t *testing.T) {
	t.Chdir(t.TempDir())
	c, err := Load("")
	if err != nil || !cmp.Equal(c, Default()) {
		t.Errorf("no seiri.yaml: %v %+v", err, c)
	}
	if _, err := Load("nope.yaml"); err == nil {
		t.Error("an explicit missing file must fail")
	}
}

// The detect: section: an empty file gives its defaults, a value overrides
// one threshold, a bad value names its key.
func TestDetectSection(t *testing.T) {
	c, err := Parse("seiri.yaml", []byte(""))
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(c.Detect, Default().Detect) || c.Detect.SilenceDays != 60 || c.Detect.NetworkPrefix != 16 {
		t.Errorf("empty file: %+v", c.Detect)
	}
	c, err = Parse("seiri.yaml", []byte("detect:\n  silence_days: 30\n  disabled_rules: [SEIRI-DETECT-NEW-REGION]\n  severity:\n    SEIRI-DETECT-TRUST-POLICY-CHANGED: low\n"))
	if err != nil {
		t.Fatal(err)
	}
	if c.Detect.SilenceDays != 30 || c.Detect.TravelMinutes != 30 || len(c.Detect.Disabled) != 1 || c.Detect.Severity["SEIRI-DETECT-TRUST-POLICY-CHANGED"] != "low" {
		t.Errorf("override: %+v", c.Detect)
	}
	c, err = Parse("seiri.yaml", []byte("detect:\n  failed_logins: 8\n  secret_distinct: 20\n  admin_groups: [Admins]\n  lambda_trusted_layer_accounts: ['464622532012']\n  aws_ip_ranges: /data/ip-ranges.json\n  ip_country_db: /data/country.csv\n  ip_asn_db: /data/asn.csv\n"))
	if err != nil {
		t.Fatal(err)
	}
	if d := c.Detect; d.FailedLogins != 8 || d.FailedLoginWindowMinutes != 10 || d.SecretDistinct != 20 || d.NewAdminUserWindowHours != 24 ||
		len(d.AdminGroups) != 1 || d.LambdaTrustedLayerAccounts[0] != "464622532012" || d.AWSIPRanges != "/data/ip-ranges.json" ||
		d.IPCountryDB != "/data/country.csv" || d.IPASNDB != "/data/asn.csv" {
		t.Errorf("new keys: %+v", d)
	}
	for text, want := range map[string]string{
		"detect:\n  network_prefix: 20\n":             "detect.network_prefix: 20 must be 16 or 24",
		"detect:\n  silence_days: 0\n":                "detect.silence_days: 0 must be a positive number of days",
		"detect:\n  severity:\n    X: urgent\n":       `detect.severity.X: "urgent" must be one of`,
		"detect:\n  travel_minute: 5\n":               "unknown field",
		"detect:\n  failed_logins: 0\n":               "detect.failed_logins: 0 must be",
		"detect:\n  secret_window_minutes: -1\n":      "detect.secret_window_minutes: -1 must be",
		"detect:\n  new_admin_user_window_hours: 0\n": "detect.new_admin_user_window_hours: 0 must be",
	} {
		_, err := Parse("seiri.yaml", []byte(text))
		if err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want %q", text, err, want)
		}
	}
}
