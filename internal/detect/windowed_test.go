package detect

import (
	"os"
	"slices"
	"testing"
	"time"
)

// The windowed rules on their attack steps (testdata/windowed.json,
// README.md): a brute force and a spray of console sign-ins, secrets and
// decrypted parameters harvested, three new administrator users (managed
// policy, inline policy, administrator group), four Lambda backdoors; and
// on the benign counterparts that follow each, nothing.
func TestWindowedRules(t *testing.T) {
	data, err := os.ReadFile("testdata/windowed.json")
	if err != nil {
		t.Fatal(err)
	}
	evs := scan(t, data)
	slices.SortStableFunc(evs, func(a, b Event) int { return a.Time.Compare(b.Time) })
	d := run(Config{}, evs)
	got := ruleIDs(d.Findings())
	want := map[string]int{
		"SEIRI-DETECT-FAILED-LOGINS":                2,
		"SEIRI-DETECT-SECRET-HARVEST":               2,
		"SEIRI-DETECT-NEW-ADMIN-USER":               3,
		"SEIRI-DETECT-LAMBDA-BACKDOOR":              4,
		"SEIRI-DETECT-KEY-FOR-OTHER-USER":           3, // the new users' keys: the existing rule sees them too
		"SEIRI-DETECT-LOGIN-PROFILE-FOR-OTHER-USER": 1,
	}
	if !mapsEqual(got, want) {
		for _, f := range d.Findings() {
			t.Logf("%s %s %v", f.RuleID, f.Resource, f.Evidence)
		}
		t.Errorf("findings %v, want %v", got, want)
	}
	for _, f := range d.Findings() {
		for _, s := range f.Support {
			if s.EventID == "" || s.SourceIP == "" || s.UserAgent == "" || s.Time.IsZero() {
				t.Errorf("%s: supporting event incomplete: %+v", f.RuleID, s)
			}
		}
		if f.RuleID == "SEIRI-DETECT-NEW-ADMIN-USER" && (len(f.Support) != 3 || f.Events != 3) {
			t.Errorf("%s %s: %d supporting events, want the three steps", f.RuleID, f.Resource, len(f.Support))
		}
	}
	if n := len(d.Stats().Undetermined); n != 0 {
		t.Errorf("undetermined: %v", d.Stats().Undetermined)
	}
	checkGolden(t, "windowed.golden.json", d)

	// Thresholds come from the configuration: raised above the steps,
	// the bursts stay quiet; a trusted layer account is not a backdoor.
	d = run(Config{FailedLogins: 7, SecretDistinct: 21, LambdaTrustedAccounts: []string{"444455556666"}}, evs)
	got = ruleIDs(d.Findings())
	if got["SEIRI-DETECT-FAILED-LOGINS"] != 0 || got["SEIRI-DETECT-SECRET-HARVEST"] != 0 || got["SEIRI-DETECT-LAMBDA-BACKDOOR"] != 2 {
		t.Errorf("with raised thresholds: %v", got)
	}
	// A window shorter than the steps: the new users' steps minutes
	// apart (ops2, ops3) no longer make a finding.
	d = run(Config{NewUserWindow: time.Minute}, evs)
	if n := ruleIDs(d.Findings())["SEIRI-DETECT-NEW-ADMIN-USER"]; n != 1 {
		t.Errorf("new admin users with a one-minute window: %d, want 1 (the one-second one)", n)
	}
}

// Idle identities are swept from the windowed rules' state: after a day
// of one-off callers the state holds only the last window's.
func TestWindowedStateIsBounded(t *testing.T) {
	d := New(Config{})
	t0 := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	for i := 0; i < 24*60; i++ {
		e := Event{Time: t0.Add(time.Duration(i) * time.Minute), Source: "signin.amazonaws.com", Name: "ConsoleLogin",
			IdentityType: "IAMUser", UserName: "u" + time.Duration(i).String(), SourceIP: "198.51.100." + time.Duration(i%200).String(),
			LoginResult: "Failure", Account: "111122223333"}
		d.Observe(&e)
		s := Event{Time: e.Time, Source: "secretsmanager.amazonaws.com", Name: "GetSecretValue", IdentityType: "AssumedRole",
			ARN: "arn:aws:sts::111122223333:assumed-role/r/s" + time.Duration(i).String(), Request: []byte(`{"secretId":"a"}`), Account: "111122223333"}
		d.Observe(&s)
	}
	if n := len(d.loginUser) + len(d.loginIP) + len(d.secrets); n > 3*(60+10) {
		t.Errorf("windowed state holds %d keys after a day of one-off callers, want at most the last hour and window's", n)
	}
}

// A secret named by its ARN and by its name is one secret; equal names in
// two regions are two.
func TestSecretName(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:secretsmanager:eu-central-1:111122223333:secret:prod/db-AbC123": "eu-central-1/prod/db",
		"prod/db":             "us-east-1/prod/db",
		"prod/db-with-dashes": "us-east-1/prod/db-with-dashes",
		"arn:aws:secretsmanager:us-west-2:111122223333:secret:prod/db-AbC123": "us-west-2/prod/db",
	} {
		if got := secretName(in, "us-east-1"); got != want {
			t.Errorf("secretName(%q) = %q, want %q", in, got, want)
		}
	}
}
