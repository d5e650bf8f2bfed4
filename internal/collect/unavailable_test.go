package collect

import (
	"context"
	"strings"
	"testing"

	"github.com/seiri-dev/seiri/internal/awsfake"
)

// An operation answering HTTP 500 to every try used to be retried
// --max-attempts times for every principal: it is marked unavailable in
// that account after its first calls fail the same way, and the rest of the
// principals are not asked.
func TestCollectServiceUnavailable(t *testing.T) {
	e := setup(t, 2, 20, func(f *awsfake.Server) {
		f.FailOp("111111110001", "GenerateServiceLastAccessedDetails",
			&awsfake.Error{Status: 500, Code: "ServiceFailure", Message: "Internal error"}, -1)
	})
	captureReports(t)
	res, err := Run(context.Background(), e.sess, e.ws, fastOpts(Options{Org: true}))
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range res.Manifest.Accounts {
		if st.AccountID != "111111110001" {
			if st.Failed() || len(st.Warnings) > 0 {
				t.Errorf("other account affected: %+v", st)
			}
			continue
		}
		if st.Failed() || len(st.Warnings) != 1 || !strings.Contains(st.Warnings[0], "Access Advisor not collected for 23 of 23 principals") {
			t.Errorf("status %+v", st)
		}
	}
	// 23 principals × 4 attempts without the breaker; with it, only the
	// first 3 calls and those already in flight when it opened (collect
	// asks for a handful of principals at a time).
	if n := e.fake.Count("111111110001", "GenerateServiceLastAccessedDetails"); n > 8*4 {
		t.Errorf("requests sent %d, want at most 32 (23×4 = 92 without the breaker)", n)
	}
	if u := e.sess.Unavailable(); len(u) != 1 || u[0].Operation != "GenerateServiceLastAccessedDetails" || u[0].Account != "111111110001" {
		t.Errorf("unavailable %+v", u)
	}
}
