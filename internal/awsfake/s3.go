package awsfake

import (
	"net/http"
	"sync"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3 on the same endpoint: requests signed for the "s3" service are served
// by a real S3 fake (gofakes3, in memory), path-style, so one --endpoint-url
// serves IAM, STS, Organizations, CloudTrail, Athena and the trail bucket.
// Calls are counted like the others (operation = HTTP method).
type s3Fake struct {
	once    sync.Once
	backend *s3mem.Backend
	handler http.Handler
}

func (s *Server) s3() *s3Fake {
	s.s3fake.once.Do(func() {
		s.s3fake.backend = s3mem.New()
		s.s3fake.handler = gofakes3.New(s.s3fake.backend).Server()
	})
	return &s.s3fake
}

// S3Backend returns the in-memory S3 store behind the fake, to seed buckets
// and objects in tests (CreateBucket, PutObject).
func (s *Server) S3Backend() gofakes3.Backend { return s.s3().backend }

func (s *Server) serveS3(w http.ResponseWriter, r *http.Request, account string) {
	s.mu.Lock()
	s.calls[Call{Account: account, Service: "s3", Operation: r.Method}]++
	s.total++
	s.mu.Unlock()
	s.s3().handler.ServeHTTP(w, r)
}
