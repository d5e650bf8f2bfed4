package groups_test

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/groups"
)

// Services counts each service once, most actions first, for a sorted set
// and for one built unsorted; s3 and s3express are two services.
func TestActionSetServices(t *testing.T) {
	want := []groups.ServiceCount{{Service: "s3", Actions: 3}, {Service: "ec2", Actions: 1}, {Service: "s3express", Actions: 1}}
	sorted := groups.NewActionSet([]string{"s3:GetObject", "s3express:CreateSession", "ec2:RunInstances", "s3:PutObject", "s3:ListBucket"})
	if d := cmp.Diff(want, sorted.Services()); d != "" {
		t.Errorf("sorted (-want +got):\n%s", d)
	}
	unsorted := groups.ActionSet{"s3:PutObject", "ec2:RunInstances", "s3:GetObject", "s3express:CreateSession", "s3:ListBucket"}
	if d := cmp.Diff(want, unsorted.Services()); d != "" {
		t.Errorf("unsorted (-want +got):\n%s", d)
	}
	if got := (groups.ActionSet{}).Services(); len(got) != 0 {
		t.Errorf("empty: %v", got)
	}
}
