// Package s3test serves an S3-compatible object store in the test's own
// process (github.com/johannesboyne/gofakes3, in memory), for Pulumi's
// DIY backend over S3.
package s3test

import (
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// Store is a running in-memory S3 server with one bucket.
type Store struct {
	// Backend is the DIY backend URL of the bucket: s3://<bucket> with
	// the gocloud.dev s3blob query parameters for a local endpoint
	// (endpoint, use_path_style, region; gocloud.dev v0.46.0 rejects an
	// unknown one such as disableSSL).
	Backend string
	// Env is what the AWS SDK needs to sign its requests: made-up keys
	// the fake server accepts.
	Env []string
}

// Start serves a store with bucket until the end of the test.
func Start(t *testing.T, bucket string) Store {
	t.Helper()
	mem := s3mem.New()
	if err := mem.CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(gofakes3.New(mem).Server())
	t.Cleanup(srv.Close)
	q := url.Values{"endpoint": {srv.URL}, "use_path_style": {"true"}, "region": {"us-east-1"}}
	return Store{
		Backend: "s3://" + bucket + "?" + q.Encode(),
		Env:     []string{"AWS_ACCESS_KEY_ID=peerpods-test", "AWS_SECRET_ACCESS_KEY=peerpods-test", "AWS_REGION=us-east-1"},
	}
}
