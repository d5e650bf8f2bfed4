package catalog

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const s3Reference = `{
  "Name": "s3",
  "Version": "v1.3",
  "Actions": [
    {"Name": "GetObject", "ActionConditionKeys": ["s3:ResourceAccount"],
     "Annotations": {"Properties": {"IsList": false, "IsPermissionManagement": false, "IsTaggingOnly": false, "IsWrite": false}},
     "Resources": [{"Name": "object"}]},
    {"Name": "PutObjectTagging",
     "Annotations": {"Properties": {"IsTaggingOnly": true, "IsWrite": true}},
     "Resources": [{"Name": "object"}]},
    {"Name": "PutBucketPolicy",
     "Annotations": {"Properties": {"IsPermissionManagement": true, "IsWrite": true}},
     "Resources": [{"Name": "bucket"}]},
    {"Name": "ListAllMyBuckets", "Annotations": {"Properties": {"IsList": true}}},
    {"Name": "PutObject", "Annotations": {"Properties": {"IsWrite": true}}, "Resources": [{"Name": "object"}]},
    {"Name": "BrandNewThing", "Resources": [{"Name": "widget"}]}
  ],
  "Resources": [
    {"Name": "bucket", "ARNFormats": ["arn:${Partition}:s3:::${BucketName}"]},
    {"Name": "object", "ARNFormats": ["arn:${Partition}:s3:::${BucketName}/${ObjectName}"]}
  ],
  "ConditionKeys": [{"Name": "s3:ResourceAccount", "Types": ["String"]}]
}`

const iamReference = `{"Name": "iam", "Actions": [
  {"Name": "CreateAccessKey", "Annotations": {"Properties": {"IsWrite": true}}, "Resources": [{"Name": "user"}]}],
  "Resources": [{"Name": "user", "ARNFormats": ["arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"]}]}`

func TestParseServiceReference(t *testing.T) {
	s, err := ParseServiceReference([]byte(s3Reference), Embedded())
	if err != nil {
		t.Fatal(err)
	}
	if s.Prefix != "s3" || s.Name != "Amazon S3" || !s.SupportsRCP {
		t.Errorf("service %q %q RCP %v: want prefix s3, the long name and RCP support from the base", s.Prefix, s.Name, s.SupportsRCP)
	}
	c := New(Source{}, []*Service{s})
	want := map[string]AccessLevel{
		"s3:GetObject": Read, "s3:PutObjectTagging": Tagging, "s3:PutBucketPolicy": PermissionsManagement,
		"s3:ListAllMyBuckets": List, "s3:PutObject": Write, "s3:BrandNewThing": Read,
	}
	got := map[string]AccessLevel{}
	for _, a := range c.Actions() {
		got[a.FullName()] = a.Access
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("access levels (-want +got):\n%s", diff)
	}
	get, _ := c.Action("s3:GetObject")
	if get.Description == "" || len(get.Resources) != 1 || get.Resources[0].Type.Name != "object" || get.ConditionKeys[0] != "s3:ResourceAccount" {
		t.Errorf("s3:GetObject = %+v", get)
	}
	if !get.Resources[0].Type.MatchARN("arn:aws:s3:::b/k") {
		t.Error("object type from the official format does not match an object ARN")
	}
	list, _ := c.Action("s3:ListAllMyBuckets")
	if list.SupportsResourceLevel() {
		t.Error("ListAllMyBuckets supports resource-level permissions")
	}
	nw, _ := c.Action("s3:BrandNewThing")
	if nw.Resources[0].Type.Name != "widget" || len(nw.Resources[0].Type.ARNFormats) != 0 {
		t.Errorf("undeclared resource type: %+v", nw.Resources[0].Type)
	}
	if len(s.ConditionKeys) != 1 || s.ConditionKeys[0] != (ConditionKey{Name: "s3:ResourceAccount", Type: "String"}) {
		t.Errorf("condition keys %v", s.ConditionKeys)
	}
}

func TestParseServiceReferenceErrors(t *testing.T) {
	tests := []struct{ in, want string }{
		{``, "unexpected end of JSON input"},
		{`{"Name": "s3",` + "\n" + `  "Actions": [ }`, "line 2, column"},
		{`{"Name": "s3", "Actions": {}}`, "line 1, column"},
		{`{"Actions": []}`, "missing Name"},
		{`{"Name": "s3:x"}`, "not a service prefix"},
		{`{"Name": "s3", "Actions": [{"Name": ""}]}`, "Actions[0]"},
		{`{"Name": "s3", "Actions": [{"Name": "Get*"}]}`, "Actions[0]"},
		{`{"Name": "s3", "Actions": [{"Name": "Get", "Resources": [{}]}]}`, "Actions[0] (Get): Resources[0]: missing Name"},
		{`{"Name": "s3", "Resources": [{"ARNFormats": []}]}`, "Resources[0]: missing Name"},
		{`{"Name": "s3", "ConditionKeys": [{"Types": []}]}`, "ConditionKeys[0]"},
	}
	for _, tt := range tests {
		_, err := ParseServiceReference([]byte(tt.in), nil)
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("ParseServiceReference(%q) error = %v, want %q", tt.in, err, tt.want)
		}
	}
}

func TestParseServiceList(t *testing.T) {
	got, err := ParseServiceList([]byte(`[{"service":"s3","url":"https://x/v1/s3/s3.json"}]`))
	if err != nil || len(got) != 1 || got[0].Service != "s3" {
		t.Fatalf("ParseServiceList = %v, %v", got, err)
	}
	for in, want := range map[string]string{
		`{}`:                 "service list: line 1",
		`[{"service":"s3"}]`: "entry 0",
		`[{"url":"x"}]`:      "entry 0",
		`[{"service":"s3","url":"a"},{"service":"S3","url":"b"}]`: "listed twice",
		`[`: "service list",
	} {
		if _, err := ParseServiceList([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseServiceList(%s) error = %v, want %q", in, err, want)
		}
	}
}

// referenceServer serves a tiny official service reference: the list at "/"
// with relative or absolute URLs, and the documents.
func referenceServer(t *testing.T, docs map[string]string) *httptest.Server {
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			var parts []string
			for name := range docs {
				parts = append(parts, fmt.Sprintf(`{"service": %q, "url": "%s/v1/%s/%s.json"}`, name, srv.URL, name, name))
			}
			fmt.Fprintf(w, "[%s]", strings.Join(parts, ","))
			return
		}
		for name, doc := range docs {
			if r.URL.Path == "/v1/"+name+"/"+name+".json" {
				if doc == "500" {
					http.Error(w, "boom", http.StatusInternalServerError)
					return
				}
				fmt.Fprint(w, doc)
				return
			}
		}
		http.NotFound(w, r)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func TestFetch(t *testing.T) {
	srv := referenceServer(t, map[string]string{"s3": s3Reference, "iam": iamReference})
	var calls atomic.Int32
	now := time.Date(2026, 11, 28, 10, 0, 0, 0, time.UTC)
	c, err := Fetch(context.Background(), srv.URL+"/", FetchOptions{
		Client: srv.Client(), Base: Embedded(), Now: now,
		Progress: func(done, total int) { calls.Add(1) },
	})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(Source{Name: "AWS service reference", Version: srv.URL + "/", Date: "2026-11-28"}, c.Source()); diff != "" {
		t.Errorf("source (-want +got):\n%s", diff)
	}
	if len(c.Services()) != 2 || len(c.Actions()) != 7 || calls.Load() != 2 {
		t.Errorf("%d services, %d actions, %d progress calls", len(c.Services()), len(c.Actions()), calls.Load())
	}
	if a, ok := c.Action("iam:createaccesskey"); !ok || a.Access != Write || !a.Resources[0].Required {
		t.Errorf("iam:CreateAccessKey = %+v (Required comes from the base catalog)", a)
	}
}

func TestFetchFailures(t *testing.T) {
	tests := []struct {
		name string
		docs map[string]string
		want string
	}{
		{"server error", map[string]string{"s3": s3Reference, "iam": "500"}, "500 Internal Server Error"},
		{"bad json", map[string]string{"s3": s3Reference, "iam": `{"Name": "iam", "Actions": [}`}, "iam/iam.json: line 1, column"},
		{"wrong service", map[string]string{"iam": s3Reference}, `document is for service "s3", the list says "iam"`},
		{"empty list", map[string]string{}, "service list is empty"},
	}
	for _, tt := range tests {
		srv := referenceServer(t, tt.docs)
		_, err := Fetch(context.Background(), srv.URL+"/", FetchOptions{Client: srv.Client()})
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Fetch error = %v, want %q", tt.name, err, tt.want)
		}
	}
	badURL := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fmt.Fprint(w, `[{"service": "s3", "url": "file:///etc/passwd"}]`)
	}))
	defer badURL.Close()
	if _, err := Fetch(context.Background(), badURL.URL+"/", FetchOptions{Client: badURL.Client()}); err == nil || !strings.Contains(err.Error(), `url "file:///etc/passwd": want an http(s) URL`) {
		t.Errorf("file URL in the list: %v", err)
	}
	if _, err := Fetch(context.Background(), "ftp://x/", FetchOptions{}); err == nil || !strings.Contains(err.Error(), "http(s)") {
		t.Errorf("ftp URL: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	srv := referenceServer(t, map[string]string{"s3": s3Reference})
	if _, err := Fetch(ctx, srv.URL+"/", FetchOptions{Client: srv.Client()}); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled fetch: %v", err)
	}
}

// Load returns the cached catalog to its caller and changes nothing
// global: Default stays the embedded catalog.
func TestCacheLoad(t *testing.T) {
	dir := t.TempDir()
	c, err := Load(dir)
	if err != nil || c != Embedded() || Default() != Embedded() {
		t.Fatalf("Load(empty dir) = %v, %v: want the embedded catalog", c.Source(), err)
	}
	tiny := tinyCatalog()
	path, err := WriteCache(dir, tiny)
	if err != nil {
		t.Fatal(err)
	}
	if fi, err := os.Stat(path); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("cache file %s: %v %v, want mode 0600", path, fi.Mode(), err)
	}
	c, err = Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Source() != tiny.Source() || Default() != Embedded() || len(c.Actions()) != 5 {
		t.Errorf("after Load: source %v, Default is embedded = %v, %d actions", c.Source(), Default() == Embedded(), len(c.Actions()))
	}
	// A damaged cache falls back to the embedded catalog, with an error.
	if err := os.WriteFile(filepath.Join(dir, CacheFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	c, err = Load(dir)
	if !errors.Is(err, ErrBadCache) || c != Embedded() || Default() != Embedded() {
		t.Errorf("damaged cache: %v, %v", c.Source(), err)
	}
}
