package keys

import (
	"context"
	"time"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/keys"
)

// WatchTracked reads the live retire tags of the keys seiri disabled and
// judges each one's watch: what `seiri keys watch` shows and `seiri keys
// delete` decides on. seiri daily calls it (not the command's output).
func WatchTracked(ctx context.Context, e *Env, sess *awsclient.Session, now func() time.Time) ([]keys.WatchResult, []string, error) {
	tracked, problems, err := trackedKeys(ctx, e, sess, now)
	if err != nil {
		return nil, problems, err
	}
	results, err := watchAll(ctx, e, sess, tracked, now())
	return results, problems, err
}
