package source

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/seiri-dev/seiri/internal/trail"
)

// S3API is the part of the S3 client the source uses.
type S3API interface {
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, opts ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
	GetObject(ctx context.Context, in *s3.GetObjectInput, opts ...func(*s3.Options)) (*s3.GetObjectOutput, error)
}

// S3Source reads a trail bucket (organization or account trail layout).
// Throttling (SlowDown, 503) is retried by the client's retryer: configure
// it with retry.AdaptiveMode and enough attempts.
type S3Source struct {
	Client S3API
	Bucket string
	Prefix string // "" or a folder ("AWSLogs/o-abc123/")
	// ListParallel is the number of folders listed at once (default 8).
	ListParallel int
}

// ParseS3URL splits s3://bucket/prefix.
func ParseS3URL(s string) (bucket, prefix string, err error) {
	u, err := url.Parse(s)
	if err != nil || u.Scheme != "s3" || u.Host == "" {
		return "", "", fmt.Errorf("%q: want s3://bucket[/prefix]", s)
	}
	prefix = strings.TrimPrefix(u.Path, "/")
	if prefix != "" && !strings.HasSuffix(prefix, "/") {
		prefix += "/"
	}
	return u.Host, prefix, nil
}

// Name is s3://bucket/prefix.
func (s *S3Source) Name() string { return "s3://" + s.Bucket + "/" + s.Prefix }

// List walks the bucket folder by folder (Delimiter "/"), entering only
// folders the filter allows, so account, region and day folders outside it
// are never listed. A folder that fails to list is reported in Errors and
// the walk goes on elsewhere.
func (s *S3Source) List(ctx context.Context, f *trail.Filter) (*trail.Listing, error) {
	par := s.ListParallel
	if par <= 0 {
		par = 8
	}
	l := &trail.Listing{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, par)
	var walk func(prefix string)
	walk = func(prefix string) {
		defer wg.Done()
		select {
		case sem <- struct{}{}:
		case <-ctx.Done():
			return
		}
		var subdirs []string
		var objs []trail.Object
		var digests, ignored, pruned int64
		p := s3.NewListObjectsV2Paginator(s.Client, &s3.ListObjectsV2Input{
			Bucket: aws.String(s.Bucket), Prefix: aws.String(prefix), Delimiter: aws.String("/"),
		})
		var err error
		for p.HasMorePages() {
			var page *s3.ListObjectsV2Output
			page, err = p.NextPage(ctx)
			if err != nil {
				break
			}
			for _, cp := range page.CommonPrefixes {
				sub := aws.ToString(cp.Prefix)
				if f.DirAllowed(strings.TrimSuffix(sub, "/")) {
					subdirs = append(subdirs, sub)
				} else {
					pruned++
				}
			}
			for _, o := range page.Contents {
				key := aws.ToString(o.Key)
				pi := trail.ParsePath(key)
				switch {
				case pi.Digest:
					if f.PathAllowed(pi) {
						digests++
					}
				case !trail.IsLogFile(key):
					ignored++
				case !f.PathAllowed(pi):
					pruned++
				default:
					objs = append(objs, trail.Object{Key: key, Size: aws.ToInt64(o.Size), ETag: strings.Trim(aws.ToString(o.ETag), `"`),
						MTime: aws.ToTime(o.LastModified).UTC().Truncate(1e9), Info: pi})
				}
			}
		}
		<-sem
		mu.Lock()
		if err != nil {
			l.Errors = append(l.Errors, trail.ListError{Prefix: "s3://" + s.Bucket + "/" + prefix, Err: err})
		}
		// Objects of a folder that failed half-way are still listed: they exist.
		l.Objects = append(l.Objects, objs...)
		l.Digests += digests
		l.Ignored += ignored
		l.Pruned += pruned
		mu.Unlock()
		for _, sub := range subdirs {
			wg.Add(1)
			go walk(sub)
		}
	}
	wg.Add(1)
	walk(s.Prefix)
	wg.Wait()
	if err := ctx.Err(); err != nil {
		return l, err
	}
	return l, nil
}

// Open gets the object. Reading it to the end is what marks it scanned, so
// an object whose download breaks is retried by the next scan.
func (s *S3Source) Open(ctx context.Context, o trail.Object) (io.ReadCloser, error) {
	out, err := s.Client.GetObject(ctx, &s3.GetObjectInput{Bucket: aws.String(s.Bucket), Key: aws.String(o.Key)})
	if err != nil {
		return nil, err
	}
	return out.Body, nil
}
