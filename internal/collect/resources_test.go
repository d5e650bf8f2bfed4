package collect

import (
	"context"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/risk"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// TestResourcePoliciesEndToEnd collects an organization whose management
// account holds one resource of each type (awsfake.SeedExternalAccess) and
// whose member account denies kms:ListKeys, through the real SDK clients:
// the management account's resource policies, identity providers and
// organization come back exactly as seeded; the member's KMS is a recorded
// gap, not a failure; and the external-access analysis of the collected
// snapshot finds what the seeded policies allow.
func TestResourcePoliciesEndToEnd(t *testing.T) {
	isolate(t)
	const outside = "999988887777"
	sc := awsfake.SampleScenario(now, 2, 2)
	awsfake.SeedExternalAccess(sc.Accounts[0], outside)
	mgmt, member := sc.Accounts[0].AccountID, sc.Accounts[1].AccountID
	f := awsfake.New(sc, awsfake.Options{PageSize: 2})
	t.Cleanup(f.Close)
	f.FailOp(member, "ListKeys", awsfake.AccessDenied("kms:ListKeys"), -1)
	sess, err := awsclient.New(context.Background(), awsclient.Options{EndpointURL: f.URL, Credentials: f.Credentials(),
		MaxAttempts: 2, MaxBackoff: time.Millisecond, RoleName: awsclient.DefaultRoleName, RetryMode: aws.RetryModeStandard})
	if err != nil {
		t.Fatal(err)
	}
	ws := filepath.Join(t.TempDir(), "snapshots")
	res, err := Run(context.Background(), sess, ws, fastOpts(Options{Org: true}))
	if err != nil {
		t.Fatal(err)
	}
	if len(res.FailedAccounts()) != 0 {
		t.Fatalf("failed accounts: %+v", res.FailedAccounts())
	}
	snap, err := snapshot.Load(ws, snapshot.Latest)
	if err != nil {
		t.Fatal(err)
	}
	got := snap.Account(mgmt)
	opts := cmp.Options{jsonSemantic}
	want := sc.Accounts[0]
	if diff := cmp.Diff(want.ResourcePolicies, got.ResourcePolicies, opts); diff != "" {
		t.Errorf("resource policies (-seed +collected):\n%s", diff)
	}
	if diff := cmp.Diff(want.IdentityProviders, got.IdentityProviders, opts); diff != "" {
		t.Errorf("identity providers (-seed +collected):\n%s", diff)
	}
	if diff := cmp.Diff(&snapshot.OrgMembership{ID: "o-fake12345", ManagementAccount: mgmt}, got.OrgMembership); diff != "" {
		t.Errorf("org membership (-want +got):\n%s", diff)
	}

	// The member: KMS denied is a gap in the scope list and one warning.
	m := snap.Account(member)
	var kmsScope *snapshot.CollectScope
	for i := range m.ResourcePolicies.Scopes {
		if s := &m.ResourcePolicies.Scopes[i]; s.Service == snapshot.ResourceKMSKey {
			kmsScope = s
		}
	}
	if kmsScope == nil || !strings.Contains(kmsScope.Error, "AccessDenied") || m.ResourcePolicies.Collected(snapshot.ResourceKMSKey, "us-east-1") {
		t.Errorf("member KMS scope = %+v, want an AccessDenied gap", kmsScope)
	}
	if !m.ResourcePolicies.Collected(snapshot.ResourceSQSQueue, "us-east-1") {
		t.Errorf("member SQS not collected: %+v", m.ResourcePolicies.Scopes)
	}
	var st snapshot.AccountStatus
	for _, s := range snap.Manifest.Accounts {
		if s.AccountID == member {
			st = s
		}
	}
	if len(st.Warnings) != 1 || !strings.HasPrefix(st.Warnings[0], "kms-key in us-east-1 resource policies not collected: AccessDenied") {
		t.Errorf("member warnings = %q", st.Warnings)
	}

	// The analysis of what was collected.
	rep := risk.External(snap, risk.ExternalOptions{})
	var findings []string
	for _, f := range rep.Findings {
		findings = append(findings, f.Account+" "+string(f.Kind)+" "+f.Resource+" "+f.Principal)
	}
	sort.Strings(findings)
	wantFindings := []string{
		mgmt + " external-account arn:aws:kms:us-east-1:" + mgmt + ":key/1234abcd-12ab-34cd-56ef-1234567890ab arn:aws:iam::" + outside + ":root",
		mgmt + " oidc-any-subject arn:aws:iam::" + mgmt + ":role/github-deploy arn:aws:iam::" + mgmt + ":oidc-provider/token.actions.githubusercontent.com",
		mgmt + " provider-unused arn:aws:iam::" + mgmt + ":saml-provider/OldIdP ",
		mgmt + " public arn:aws:s3:::acme-public-" + mgmt + " *",
		mgmt + " public arn:aws:sns:us-east-1:" + mgmt + ":events *",
		mgmt + " s3-no-account-block arn:aws:s3:::" + mgmt + " ",
		mgmt + " service-no-source arn:aws:lambda:us-east-1:" + mgmt + ":function:thumbnail s3.amazonaws.com",
		member + " not-collected arn:aws:iam::" + member + ":root ",
	}
	if diff := cmp.Diff(wantFindings, findings); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
	if len(rep.Problems) != 0 || rep.BlockedByBPA != 1 {
		t.Errorf("problems %q, blocked by BPA %d (want the ACL bucket)", rep.Problems, rep.BlockedByBPA)
	}
	// The KMS key policy is reachable for the policy engine.
	kp := risk.NewKeyPolicies(snap)
	if p, status, err := kp.Lookup("arn:aws:kms:us-east-1:" + mgmt + ":key/1234abcd-12ab-34cd-56ef-1234567890ab"); p == nil || status != risk.KeyFound || err != nil {
		t.Errorf("KeyPolicies.Lookup = %v, %v, %v", p, status, err)
	}
	if _, status, _ := kp.Lookup("arn:aws:kms:us-east-1:" + member + ":key/x"); status != risk.KeyNotCollected {
		t.Errorf("member key status = %v, want KeyNotCollected (KMS denied)", status)
	}
}

// TestResourcePoliciesOff: NoResourcePolicies leaves them nil (not
// collected), which the analysis reports as unknown.
func TestResourcePoliciesOff(t *testing.T) {
	e := setup(t, 1, 1, nil)
	if _, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{NoResourcePolicies: true})); err != nil {
		t.Fatal(err)
	}
	snap, err := snapshot.Load(e.ws, snapshot.Latest)
	if err != nil {
		t.Fatal(err)
	}
	a := snap.Accounts[0]
	if a.ResourcePolicies != nil || a.IdentityProviders != nil || a.OrgMembership != nil {
		t.Errorf("collected despite NoResourcePolicies: %+v %+v %+v", a.ResourcePolicies, a.IdentityProviders, a.OrgMembership)
	}
	if e.fake.Count("", "ListKeys") != 0 || e.fake.Count("", "ListAllMyBuckets") != 0 {
		t.Errorf("resource APIs called")
	}
}
