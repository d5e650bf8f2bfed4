package workspace

import "strings"

// remoteRef refuses a workspace URL (s3://…) where a folder is expected:
// only seiri daily syncs a workspace from S3 (internal/workspace/s3ws);
// any other command would otherwise create a local folder named "s3:".
func remoteRef(dir string) error {
	if i := strings.Index(dir, "://"); i > 0 && !strings.ContainsAny(dir[:i], `/\`) {
		return &Error{Path: dir, Reason: "is a URL: only seiri daily keeps a workspace in S3 (--workspace s3://bucket/prefix); other commands need a local folder"}
	}
	return nil
}
