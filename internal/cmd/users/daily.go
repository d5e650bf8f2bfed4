package users

import (
	"context"
	"time"

	"github.com/seiri-dev/seiri/internal/awsclient"
	keyscmd "github.com/seiri-dev/seiri/internal/cmd/keys"
	"github.com/seiri-dev/seiri/internal/keys"
)

// WatchQuarantined reads the users seiri quarantined and judges each one's
// watch: what `seiri users retire watch` shows. seiri daily calls it.
func WatchQuarantined(ctx context.Context, e *keyscmd.Env, sess *awsclient.Session, now func() time.Time) ([]keys.WatchResult, []string, error) {
	qs, problems, err := quarantinedUsers(ctx, e, sess, now)
	if err != nil {
		return nil, problems, err
	}
	results, err := watchUsers(ctx, e, qs, now())
	return results, problems, err
}
