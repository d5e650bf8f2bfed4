// Package config reads seiri.yaml. Every threshold has a default compiled into
// the binary (Default); the file overrides only what it names. Unknown keys
// are errors, reported with their line and column.
package config

import (
	"errors"
	"fmt"
	"os"

	"github.com/goccy/go-yaml"

	"github.com/seiri-dev/seiri/internal/textenc"
)

// FileName is the config file looked up in the working directory when
// --config is not given.
const FileName = "seiri.yaml"

// Config is the whole of seiri.yaml.
type Config struct {
	Audit Audit `yaml:"audit" json:"audit"`
	Keys  Keys  `yaml:"keys" json:"keys"`
	Org   Org   `yaml:"org" json:"org"`
	// Detect holds the thresholds of `seiri detect` (suspicious use).
	Detect Detect `yaml:"detect" json:"detect"`
	// Daily and Notify configure `seiri daily` (daily.go).
	Daily  Daily  `yaml:"daily" json:"daily"`
	Notify Notify `yaml:"notify" json:"notify"`
}

// Detect holds the thresholds of the suspicious-use rules
// (internal/detect; docs/detect.md lists the rules).
type Detect struct {
	// DiscoveryWindowMinutes, DiscoveryDistinct, DeniedCount: one identity
	// calling this many distinct List/Describe/Get actions, or denied this
	// many distinct actions, within the window is a discovery burst.
	DiscoveryWindowMinutes int `yaml:"discovery_window_minutes" json:"discoveryWindowMinutes"`
	DiscoveryDistinct      int `yaml:"discovery_distinct" json:"discoveryDistinct"`
	DeniedCount            int `yaml:"denied_count" json:"deniedCount"`
	// NetworkPrefix is the IPv4 prefix length of a "network" (16 or 24).
	NetworkPrefix int `yaml:"network_prefix" json:"networkPrefix"`
	// MinHistoryDays: a credential seen for less than this is learned,
	// not judged, by the new-way rules.
	MinHistoryDays int `yaml:"min_history_days" json:"minHistoryDays"`
	// SilenceDays: a long-term key used again after this long is reported.
	SilenceDays int `yaml:"silence_days" json:"silenceDays"`
	// TravelMinutes: one key from two networks within this is reported.
	TravelMinutes int `yaml:"travel_minutes" json:"travelMinutes"`
	// MaxSupport bounds the supporting events kept per finding.
	MaxSupport int `yaml:"max_support" json:"maxSupport"`
	// FailedLogins failed console sign-ins for one user or from one
	// address within FailedLoginWindowMinutes are a burst.
	FailedLogins             int `yaml:"failed_logins" json:"failedLogins"`
	FailedLoginWindowMinutes int `yaml:"failed_login_window_minutes" json:"failedLoginWindowMinutes"`
	// SecretDistinct distinct secrets / decrypted SSM parameters read by
	// one identity within SecretWindowMinutes are harvesting.
	SecretDistinct      int `yaml:"secret_distinct" json:"secretDistinct"`
	SecretWindowMinutes int `yaml:"secret_window_minutes" json:"secretWindowMinutes"`
	// NewAdminUserWindowHours: a new user's creation, credential and
	// administrator policy within this are a backdoor account.
	NewAdminUserWindowHours int `yaml:"new_admin_user_window_hours" json:"newAdminUserWindowHours"`
	// AdminGroups are IAM group names that grant administrator rights.
	AdminGroups []string `yaml:"admin_groups" json:"adminGroups,omitempty"`
	// LambdaTrustedLayerAccounts are accounts whose Lambda layers (and
	// grants to which) are expected.
	LambdaTrustedLayerAccounts []string `yaml:"lambda_trusted_layer_accounts" json:"lambdaTrustedLayerAccounts,omitempty"`
	// AWSIPRanges is a path to AWS's ip-ranges.json (plain or gzip): the
	// workload rule's "inside AWS". Empty: the workspace's cached list
	// (seiri roles update-ip-ranges), else the built-in sample.
	AWSIPRanges string `yaml:"aws_ip_ranges" json:"awsIpRanges,omitempty"`
	// IPCountryDB and IPASNDB are offline IP databases in the
	// ip-location-db CSV layouts (start,end,country / start,end,asn,org):
	// the new-country and new-ASN rules run only when they are set.
	IPCountryDB string `yaml:"ip_country_db" json:"ipCountryDb,omitempty"`
	IPASNDB     string `yaml:"ip_asn_db" json:"ipAsnDb,omitempty"`
	// Disabled lists rule ids that are not run.
	Disabled []string `yaml:"disabled_rules" json:"disabledRules,omitempty"`
	// Severity overrides rule severities: rule id -> info|low|medium|high|critical.
	Severity map[string]string `yaml:"severity" json:"severity,omitempty"`
}

// Org holds the settings of `seiri org`.
type Org struct {
	// Limits override AWS Organizations quotas for an organization whose
	// quotas differ from the defaults (internal/org.DefaultLimits). A zero or
	// absent value keeps the default.
	Limits OrgLimits `yaml:"limits" json:"limits"`
}

// OrgLimits are overrides of AWS Organizations quotas; 0 means "default".
type OrgLimits struct {
	SCPSize              int `yaml:"scp_size" json:"scpSize,omitempty"`
	SCPsPerTarget        int `yaml:"scps_per_target" json:"scpsPerTarget,omitempty"`
	RCPSize              int `yaml:"rcp_size" json:"rcpSize,omitempty"`
	RCPsPerTarget        int `yaml:"rcps_per_target" json:"rcpsPerTarget,omitempty"`
	TagPolicySize        int `yaml:"tag_policy_size" json:"tagPolicySize,omitempty"`
	TagPoliciesPerTarget int `yaml:"tag_policies_per_target" json:"tagPoliciesPerTarget,omitempty"`
	OtherPolicySize      int `yaml:"other_policy_size" json:"otherPolicySize,omitempty"`
	OtherPerTarget       int `yaml:"other_policies_per_target" json:"otherPoliciesPerTarget,omitempty"`
	OUDepth              int `yaml:"ou_depth" json:"ouDepth,omitempty"`
	OUs                  int `yaml:"ous" json:"ous,omitempty"`
}

// Audit holds the thresholds of `seiri audit`'s rules, in days.
type Audit struct {
	// InactiveUserDays: no console and no key use for this long → inactive.
	InactiveUserDays int `yaml:"inactive_user_days" json:"inactiveUserDays"`
	// UnusedKeyDays: an active key not used for this long.
	UnusedKeyDays int `yaml:"unused_key_days" json:"unusedKeyDays"`
	// KeyRotationDays: an active key older than this should be rotated.
	KeyRotationDays int `yaml:"key_rotation_days" json:"keyRotationDays"`
	// PasswordMaxAgeDays applies when the account has no password policy
	// with an expiry.
	PasswordMaxAgeDays int `yaml:"password_max_age_days" json:"passwordMaxAgeDays"`
	// RootUsedDays: root used within this many days is a finding.
	RootUsedDays int `yaml:"root_used_days" json:"rootUsedDays"`
	// GroupsPerUserWarn: users in at least this many groups (IAM limit: 10).
	GroupsPerUserWarn int `yaml:"groups_per_user_warn" json:"groupsPerUserWarn"`
	// UnusedRoleDays: roles not used for this long.
	UnusedRoleDays int `yaml:"unused_role_days" json:"unusedRoleDays"`
	// UnusedServiceDays: services granted but not accessed (Access Advisor).
	UnusedServiceDays int `yaml:"unused_service_days" json:"unusedServiceDays"`
	// Disabled lists rule ids that are not run.
	Disabled []string `yaml:"disabled_rules" json:"disabledRules,omitempty"`
	// HighValuePrincipals are ARNs of high-value principals (a break-glass
	// role, a deployment role): the privilege-escalation analysis also
	// reports who can reach them. Default: none.
	HighValuePrincipals []string `yaml:"high_value_principals" json:"highValuePrincipals,omitempty"`
}

// Keys holds the credential retirement settings.
type Keys struct {
	// ObservationDays is how long a disabled key is watched before delete.
	ObservationDays int `yaml:"observation_days" json:"observationDays"`
	// Allowlist names users (user names or ARNs) and key ids never planned.
	Allowlist []string `yaml:"allowlist" json:"allowlist,omitempty"`
	// BreakGlassUsers are never left without an active credential.
	BreakGlassUsers []string `yaml:"break_glass_users" json:"breakGlassUsers,omitempty"`
}

// Default returns the built-in configuration.
func Default() *Config {
	return &Config{
		Audit: Audit{
			InactiveUserDays:   90,
			UnusedKeyDays:      90,
			KeyRotationDays:    90,
			PasswordMaxAgeDays: 90,
			RootUsedDays:       30,
			GroupsPerUserWarn:  8,
			UnusedRoleDays:     90,
			UnusedServiceDays:  90,
		},
		Keys:   Keys{ObservationDays: 14},
		Daily:  defaultDaily(),
		Notify: Notify{On: NotifyOnChange, MinSeverity: "high"},
		Detect: Detect{
			DiscoveryWindowMinutes:   10,
			DiscoveryDistinct:        25,
			DeniedCount:              10,
			NetworkPrefix:            16,
			MinHistoryDays:           7,
			SilenceDays:              60,
			TravelMinutes:            30,
			MaxSupport:               20,
			FailedLogins:             5,
			FailedLoginWindowMinutes: 10,
			SecretDistinct:           10,
			SecretWindowMinutes:      10,
			NewAdminUserWindowHours:  24,
		},
	}
}

// Load reads path over the defaults. An empty path means seiri.yaml in the
// working directory if it exists, else the defaults.
func Load(path string) (*Config, error) {
	explicit := path != ""
	if !explicit {
		path = FileName
	}
	data, err := os.ReadFile(path)
	if err != nil {
		if !explicit && errors.Is(err, os.ErrNotExist) {
			return Default(), nil
		}
		return nil, fmt.Errorf("config: %w", err)
	}
	return Parse(path, data)
}

// Parse reads seiri.yaml's text (name is used in errors) over the
// defaults. An empty or comment-only file means the defaults; a UTF-8
// byte-order mark is accepted, UTF-16 is refused with "re-save as UTF-8".
func Parse(name string, data []byte) (*Config, error) {
	c := Default()
	data, err := textenc.UTF8(data)
	if err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	// A document without content decodes as null, which would zero every
	// setting (and then fail validation on whichever key came first).
	var probe any
	if err := yaml.Unmarshal(data, &probe); err == nil && probe == nil {
		return c, nil
	}
	if err := webhookInFile(data); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	if err := yaml.UnmarshalWithOptions(data, c, yaml.Strict()); err != nil {
		return nil, fmt.Errorf("config %s: %s", name, yaml.FormatError(err, false, true))
	}
	if err := c.Validate(); err != nil {
		return nil, fmt.Errorf("config %s: %w", name, err)
	}
	return c, nil
}

// Validate checks ranges.
func (c *Config) Validate() error {
	// Slices, not maps: the first bad key is the same on every run.
	type setting struct {
		name string
		v    int
	}
	for _, st := range []setting{
		{"audit.inactive_user_days", c.Audit.InactiveUserDays},
		{"audit.unused_key_days", c.Audit.UnusedKeyDays},
		{"audit.key_rotation_days", c.Audit.KeyRotationDays},
		{"audit.password_max_age_days", c.Audit.PasswordMaxAgeDays},
		{"audit.root_used_days", c.Audit.RootUsedDays},
		{"audit.unused_role_days", c.Audit.UnusedRoleDays},
		{"audit.unused_service_days", c.Audit.UnusedServiceDays},
		{"keys.observation_days", c.Keys.ObservationDays},
		{"detect.discovery_window_minutes", c.Detect.DiscoveryWindowMinutes},
		{"detect.discovery_distinct", c.Detect.DiscoveryDistinct},
		{"detect.denied_count", c.Detect.DeniedCount},
		{"detect.min_history_days", c.Detect.MinHistoryDays},
		{"detect.silence_days", c.Detect.SilenceDays},
		{"detect.travel_minutes", c.Detect.TravelMinutes},
		{"detect.max_support", c.Detect.MaxSupport},
		{"detect.failed_logins", c.Detect.FailedLogins},
		{"detect.failed_login_window_minutes", c.Detect.FailedLoginWindowMinutes},
		{"detect.secret_distinct", c.Detect.SecretDistinct},
		{"detect.secret_window_minutes", c.Detect.SecretWindowMinutes},
		{"detect.new_admin_user_window_hours", c.Detect.NewAdminUserWindowHours},
	} {
		if st.v <= 0 {
			return fmt.Errorf("%s: %d must be a positive number of days", st.name, st.v)
		}
	}
	for _, st := range []setting{
		{"org.limits.scp_size", c.Org.Limits.SCPSize}, {"org.limits.scps_per_target", c.Org.Limits.SCPsPerTarget},
		{"org.limits.rcp_size", c.Org.Limits.RCPSize}, {"org.limits.rcps_per_target", c.Org.Limits.RCPsPerTarget},
		{"org.limits.tag_policy_size", c.Org.Limits.TagPolicySize}, {"org.limits.tag_policies_per_target", c.Org.Limits.TagPoliciesPerTarget},
		{"org.limits.other_policy_size", c.Org.Limits.OtherPolicySize}, {"org.limits.other_policies_per_target", c.Org.Limits.OtherPerTarget},
		{"org.limits.ou_depth", c.Org.Limits.OUDepth}, {"org.limits.ous", c.Org.Limits.OUs},
	} {
		if st.v < 0 {
			return fmt.Errorf("%s: %d must not be negative (0 keeps the AWS default)", st.name, st.v)
		}
	}
	if p := c.Detect.NetworkPrefix; p != 16 && p != 24 {
		return fmt.Errorf("detect.network_prefix: %d must be 16 or 24", p)
	}
	for id, sev := range c.Detect.Severity {
		switch sev {
		case "info", "low", "medium", "high", "critical":
		default:
			return fmt.Errorf("detect.severity.%s: %q must be one of info, low, medium, high, critical", id, sev)
		}
	}
	if err := c.validateDaily(); err != nil {
		return err
	}
	if c.Audit.GroupsPerUserWarn < 1 || c.Audit.GroupsPerUserWarn > 10 {
		return fmt.Errorf("audit.groups_per_user_warn: %d must be between 1 and 10 (the IAM limit)", c.Audit.GroupsPerUserWarn)
	}
	return nil
}
