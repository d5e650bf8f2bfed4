package collect

import (
	"context"

	"github.com/seiri-dev/seiri/internal/awsclient"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// ReadOrganization reads the live organization with the caller's clients,
// as collect does (roots, OU tree, accounts, policies with content and
// targets, delegated administrators, trusted access). `seiri org apply`
// uses it to refuse a stale plan and to start its mirror of the live state.
// The strings are warnings (parts that could not be read).
func ReadOrganization(ctx context.Context, c *awsclient.Clients) (*snapshot.Organization, []string, error) {
	return collectOrganization(ctx, c)
}
