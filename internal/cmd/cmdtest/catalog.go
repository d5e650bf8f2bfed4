package cmdtest

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

// RefreshCatalog does what `seiri catalog update` does for the workspace at
// wsDir, from one service reference document (the JSON AWS publishes per
// service): afterwards that service is the whole catalog in force there.
func RefreshCatalog(t *testing.T, wsDir, service, reference string) {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			fmt.Fprintf(w, `[{"service": %q, "url": "/v1/%s/%s.json"}]`, service, service, service)
			return
		}
		fmt.Fprint(w, reference)
	}))
	defer srv.Close()
	c, err := catalog.Fetch(context.Background(), srv.URL+"/", catalog.FetchOptions{Client: srv.Client(), Base: catalog.Embedded(),
		Now: time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := catalog.WriteCache(cmdutil.CatalogCacheDir(wsDir), c); err != nil {
		t.Fatal(err)
	}
}
