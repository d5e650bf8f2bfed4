package groups

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/usage"
)

func TestUsedActions(t *testing.T) {
	const a, b = "111111111111", "222222222222"
	alice := "arn:aws:iam::111111111111:user/alice"
	rows := []usage.Row{
		{Key: usage.Key{Account: a, Principal: alice, Action: "s3:GetObject"}, Authz: true},
		{Key: usage.Key{Account: a, Principal: alice, Action: "s3:PutObject", ErrorCode: "AccessDenied"}, Authz: true}, // denied: not used
		{Key: usage.Key{Account: a, Principal: alice, Action: "sts:GetCallerIdentity"}},                                // no authorization check
		{Key: usage.Key{Account: a, Principal: alice, Action: "s3:GetObject"}, Authz: true},
		{Key: usage.Key{Account: b, Principal: "arn:aws:iam::222222222222:user/bob", Action: "ec2:DescribeInstances"}, Authz: true},
	}
	got := UsedActions(rows, a)
	want := map[string]ActionSet{alice: NewActionSet([]string{"s3:GetObject"})}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if got := UsedActions(rows, "333333333333"); got != nil {
		t.Errorf("an account without rows is unknown (nil), got %v", got)
	}
	// An account whose only rows are failures is known: nothing used.
	if got := UsedActions(rows[1:2], a); got == nil || len(got[alice]) != 0 {
		t.Errorf("known but unused: %v", got)
	}
}
