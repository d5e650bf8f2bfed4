package trail

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/csv"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/cmd/cmdtest"
	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/gen"
	"github.com/seiri-dev/seiri/internal/usage"
)

var trailT0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// runTrail runs the command tree with args and returns stdout, stderr and the exit code.
func runTrail(t *testing.T, args ...string) (string, string, int) {
	t.Helper()
	var out, errOut bytes.Buffer
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &out, ErrOut: &errOut})
	f.Now = func() time.Time { return trailT0.AddDate(0, 0, 3) }
	root := testRoot(f)
	root.SetArgs(args)
	root.SetOut(&out)
	root.SetErr(&errOut)
	code := cmdutil.ExitCode(f.IO, root.ExecuteContext(context.Background()))
	return out.String(), errOut.String(), code
}

func trailCorpus(t *testing.T) string {
	t.Helper()
	dir := t.TempDir()
	spec := gen.Sample(3, []string{"111111111111", "222222222222"}, trailT0, trailT0.AddDate(0, 0, 2), 0.3)
	if _, err := gen.Generate(spec, gen.DirSink(dir)); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTrailScanThenQuery(t *testing.T) {
	logs := trailCorpus(t)
	ws := filepath.Join(t.TempDir(), "ws")
	out, errOut, code := runTrail(t, "--workspace", ws, "trail", "scan", "--source", logs, "-o", "json")
	if code != 0 {
		t.Fatalf("scan exit %d: %s", code, errOut)
	}
	var sum trail.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatalf("summary JSON: %v\n%s", err, out)
	}
	if sum.FilesRead == 0 || sum.Records == 0 || sum.Coverage != 1 {
		t.Fatalf("summary %+v", sum)
	}
	if fi, err := os.Stat(filepath.Join(ws, "usage.db")); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("usage.db: %v %v", fi, err)
	}

	// A rescan reads nothing new.
	out, _, code = runTrail(t, "--workspace", ws, "trail", "scan", "--source", logs)
	if code != 0 || !strings.Contains(out, "files already scanned") {
		t.Fatalf("rescan exit %d:\n%s", code, out)
	}
	for _, line := range strings.Split(out, "\n") {
		if strings.HasPrefix(line, "files read") && strings.TrimSpace(strings.TrimPrefix(line, "files read")) != "0" {
			t.Errorf("rescan: %q", line)
		}
	}

	user := "arn:aws:iam::111111111111:user/alice"
	out, _, code = runTrail(t, "--workspace", ws, "trail", "usage", "--principal", user, "-o", "json")
	if code != 0 {
		t.Fatalf("usage exit %d", code)
	}
	var doc struct {
		Store string
		Rows  []usage.Row
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatal(err)
	}
	rows := doc.Rows
	if len(rows) == 0 {
		t.Fatal("no rows for alice")
	}
	if doc.Store == "" {
		t.Error("the document does not name the usage store it read")
	}
	for _, r := range rows {
		if r.Principal != user {
			t.Errorf("row of %s", r.Principal)
		}
	}

	out, _, code = runTrail(t, "--workspace", ws, "trail", "errors", "-o", "csv")
	if code != 0 {
		t.Fatalf("errors exit %d", code)
	}
	recs, err := csv.NewReader(strings.NewReader(out)).ReadAll()
	if err != nil || len(recs) < 2 {
		t.Fatalf("errors csv %v: %q", err, out)
	}
	if diff := cmp.Diff(usageColumns, recs[0]); diff != "" {
		t.Errorf("csv header: %s", diff)
	}
	for _, r := range recs[1:] {
		if r[6] == "" {
			t.Errorf("errors lists a row without an error code: %v", r)
		}
	}

	key := rows[0].AccessKeyID
	out, _, _ = runTrail(t, "--workspace", ws, "trail", "usage", "--access-key", key, "--long")
	if !strings.Contains(out, key) || !strings.Contains(out, "\nACCOUNT") || !strings.Contains(out, " usage rows: ") {
		t.Errorf("usage by key table:\n%s", out)
	}

	// ci-deploy's long-term key assumed the deployer role: the lineage is shown.
	out, _, _ = runTrail(t, "--workspace", ws, "trail", "usage", "--principal", "arn:aws:iam::111111111111:user/service/ci-deploy", "-o", "json")
	var ciDoc struct{ Rows []usage.Row }
	if err := json.Unmarshal([]byte(out), &ciDoc); err != nil {
		t.Fatal(err)
	}
	ci := ciDoc.Rows
	if len(ci) == 0 {
		t.Fatal("no rows for ci-deploy")
	}
	out, _, _ = runTrail(t, "--workspace", ws, "trail", "usage", "--access-key", ci[0].AccessKeyID)
	if !strings.Contains(out, "requested") || !strings.Contains(out, "sts:AssumeRole") || !strings.Contains(out, "role/deployer") {
		t.Errorf("lineage of %s:\n%s", ci[0].AccessKeyID, out)
	}

	out, _, code = runTrail(t, "--workspace", ws, "trail", "stats")
	if code != 0 || !strings.Contains(out, "scanned objects") || !strings.Contains(out, "last scans:") {
		t.Errorf("stats exit %d:\n%s", code, out)
	}
	out, _, code = runTrail(t, "--workspace", ws, "trail", "unmapped")
	if code != 0 || !strings.Contains(out, "every scanned event mapped") {
		t.Errorf("unmapped exit %d:\n%s", code, out)
	}
}

func TestTrailScanUnmappedAndStrict(t *testing.T) {
	logs := t.TempDir()
	day := filepath.Join(logs, "AWSLogs", "111111111111", "CloudTrail", "us-east-1", "2026", "11", "01")
	os.MkdirAll(day, 0o755)
	rec := `{"eventVersion":"1.11","eventTime":"2026-11-01T10:00:00Z","eventSource":"newsvc.example.net","eventName":"DoThing","userIdentity":{"type":"Root","arn":"arn:aws:iam::111111111111:root"},"recipientAccountId":"111111111111"}`
	os.WriteFile(filepath.Join(day, "a.json"), []byte(`{"Records":[`+rec+`]}`), 0o644)
	os.WriteFile(filepath.Join(day, "b.json"), []byte(`not json`), 0o644)
	ws := t.TempDir()
	out, errOut, code := runTrail(t, "--workspace", ws, "trail", "scan", "--source", logs)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	for _, want := range []string{"mapping coverage          0.00%", "skipped files:", "not JSON: 1", "b.json", "seiri trail unmapped"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	out, _, _ = runTrail(t, "--workspace", ws, "trail", "unmapped")
	if !strings.Contains(out, "newsvc.example.net") || !strings.Contains(out, "DoThing") {
		t.Errorf("unmapped:\n%s", out)
	}
	_, errOut, code = runTrail(t, "--workspace", t.TempDir(), "trail", "scan", "--source", logs, "--strict")
	if code != cmdutil.ExitUsage || !strings.Contains(errOut, "b.json") || !strings.Contains(errOut, "--strict") {
		t.Errorf("strict exit %d: %s", code, errOut)
	}
}

func TestTrailScanFlags(t *testing.T) {
	tests := []struct {
		args    []string
		code    int
		errText string
	}{
		{[]string{"trail", "scan"}, cmdutil.ExitUsage, "--source is required"},
		{[]string{"trail", "scan", "--source", "x", "--since", "last tuesday"}, cmdutil.ExitUsage, "--since"},
		{[]string{"trail", "scan", "--source", "x", "--since", "2026-11-02", "--until", "2026-11-01"}, cmdutil.ExitUsage, "not after"},
		{[]string{"trail", "scan", "--source", "x", "--accounts", "12345"}, cmdutil.ExitUsage, "12 digits"},
		{[]string{"trail", "usage", "--limit", "-1"}, cmdutil.ExitUsage, "--limit"},
		{[]string{"trail", "scan", "--source", "/nonexistent/logs"}, cmdutil.ExitUsage, "not a directory"},
		{[]string{"trail", "scan", "--source", ".", "--parallel", "-2"}, cmdutil.ExitUsage, "--parallel"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.args, " "), func(t *testing.T) {
			_, errOut, code := runTrail(t, append([]string{"--workspace", t.TempDir()}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.errText) {
				t.Errorf("exit %d, stderr %q; want %d and %q", code, errOut, tt.code, tt.errText)
			}
		})
	}
}

func TestTrailScanOptionsParsing(t *testing.T) {
	var got *TrailScanOptions
	f := cmdutil.NewFactory(&cmdutil.IOStreams{Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	cmd := NewCmdTrailScan(f, func(o *TrailScanOptions) error { got = o; return nil })
	cmd.SetArgs([]string{"--source", "s3://b/p", "--since", "90d", "--accounts", "111111111111,222222222222", "--regions", "eu-west-1", "--strict", "--parallel", "3"})
	if err := cmd.Execute(); err != nil {
		t.Fatal(err)
	}
	if got.Source != "s3://b/p" || got.Since != "90d" || len(got.Accounts) != 2 || got.Regions[0] != "eu-west-1" || !got.Strict || got.Parallel != 3 {
		t.Errorf("options %+v", got)
	}
	now := time.Date(2026, 11, 29, 0, 0, 0, 0, time.UTC)
	for in, want := range map[string]time.Time{
		"90d": now.AddDate(0, 0, -90), "12h": now.Add(-12 * time.Hour), "2026-11-01": trailT0,
		"2026-11-01T10:00:00+02:00": trailT0.Add(8 * time.Hour), "": {},
	} {
		if got, err := cmdutil.ParseWhen(in, now); err != nil || !got.Equal(want) {
			t.Errorf("cmdutil.ParseWhen(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}

func TestTrailScanS3Source(t *testing.T) {
	cmdtest.IsolateAWS(t)
	fake := awsfake.New(awsfake.Scenario{})
	defer fake.Close()
	be := fake.S3Backend()
	if err := be.CreateBucket("org-trail"); err != nil {
		t.Fatal(err)
	}
	spec := gen.Sample(5, []string{"111111111111"}, trailT0, trailT0.Add(3*time.Hour), 1)
	st, err := gen.Generate(spec, func(key string, gz []byte) error {
		_, err := be.PutObject("org-trail", key, map[string]string{}, bytes.NewReader(gz), int64(len(gz)), nil)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runOnFake(t, fake, "trail", "scan", "--source", "s3://org-trail/AWSLogs", "-o", "json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errOut)
	}
	var sum trail.Summary
	if err := json.Unmarshal([]byte(out), &sum); err != nil {
		t.Fatal(err)
	}
	if sum.FilesRead != st.Files || sum.Records != st.Records || sum.Sources[0] != "s3://org-trail/AWSLogs/" {
		t.Errorf("summary %+v, generated %+v", sum, st)
	}
	if strings.Contains(out+errOut, awsfake.SecretAccessKey) {
		t.Error("secret key in output")
	}
}

func TestTrailProgressLine(t *testing.T) {
	var b bytes.Buffer
	p := &progressLine{w: &b}
	p.update(trail.Progress{FilesDone: 10, FilesTotal: 40, BytesDone: 1 << 20, BytesTotal: 4 << 20, Records: 50000, Elapsed: 2 * time.Second})
	p.done()
	got := b.String()
	for _, want := range []string{"files 10/40", "1.0 MiB/4.0 MiB", "25 k events/s", "ETA 6s", "\r\033[K"} {
		if !strings.Contains(got, want) {
			t.Errorf("progress %q lacks %q", got, want)
		}
	}
}

// TestTrailScanUsesRefreshedCatalog: the event→action mapping checks actions
// against the catalog in force in the workspace (seiri catalog update): an
// event whose action only the refreshed catalog knows is unmapped with the
// embedded catalog and mapped with the refreshed one.
func TestTrailScanUsesRefreshedCatalog(t *testing.T) {
	logs := t.TempDir()
	rec := `{"Records":[{"eventVersion":"1.08","eventTime":"2026-11-01T10:00:00Z","eventSource":"s3.amazonaws.com",` +
		`"eventName":"FrobnicateWidget","awsRegion":"us-east-1","sourceIPAddress":"203.0.113.10","userAgent":"test",` +
		`"userIdentity":{"type":"IAMUser","accountId":"111111111111","arn":"arn:aws:iam::111111111111:user/ci","principalId":"AIDACI","userName":"ci"},` +
		`"recipientAccountId":"111111111111","eventType":"AwsApiCall","eventCategory":"Management","eventID":"ev-1","readOnly":false}]}`
	var gz bytes.Buffer
	w := gzip.NewWriter(&gz)
	w.Write([]byte(rec))
	w.Close()
	rel := filepath.Join(logs, "AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/01/111111111111_CloudTrail_us-east-1_20261101T1000Z_a.json.gz")
	if err := os.MkdirAll(filepath.Dir(rel), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(rel, gz.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	scan := func(ws string) trail.Summary {
		t.Helper()
		out, errOut, code := runTrail(t, "--workspace", ws, "trail", "scan", "--source", logs, "--since", "2026-10-01", "-o", "json")
		if code != 0 {
			t.Fatalf("scan exit %d: %s", code, errOut)
		}
		var sum trail.Summary
		if err := json.Unmarshal([]byte(out), &sum); err != nil {
			t.Fatalf("summary JSON: %v\n%s", err, out)
		}
		return sum
	}
	if sum := scan(filepath.Join(t.TempDir(), "ws")); sum.Mapped != 0 || sum.Unmapped != 1 {
		t.Errorf("embedded catalog: mapped %d, unmapped %d; want 0 and 1", sum.Mapped, sum.Unmapped)
	}
	ws := filepath.Join(t.TempDir(), "ws")
	cmdtest.RefreshCatalog(t, ws, "s3", `{"Name": "s3", "Actions": [
  {"Name": "FrobnicateWidget", "Annotations": {"Properties": {"IsWrite": true}}}]}`)
	if sum := scan(ws); sum.Mapped != 1 || sum.Unmapped != 0 {
		t.Errorf("refreshed catalog: mapped %d, unmapped %d; want 1 and 0", sum.Mapped, sum.Unmapped)
	}
	// A damaged refreshed copy is named in a warning and the embedded
	// catalog maps the events, as for every other command.
	ws = filepath.Join(t.TempDir(), "ws")
	cache := filepath.Join(cmdutil.CatalogCacheDir(ws), filepath.FromSlash(catalog.CacheFile))
	if err := os.MkdirAll(filepath.Dir(cache), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(cache, []byte("not a catalog"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, errOut, code := runTrail(t, "--workspace", ws, "trail", "scan", "--source", logs, "--since", "2026-10-01", "-o", "json")
	var sum trail.Summary
	if err := json.Unmarshal([]byte(out), &sum); code != 0 || err != nil || sum.Mapped != 0 || sum.Unmapped != 1 {
		t.Errorf("damaged catalog: exit %d, %v, mapped %d, unmapped %d; want 0, nil, 0 and 1\n%s", code, err, sum.Mapped, sum.Unmapped, errOut)
	}
	if want := "seiri: warning: cached catalog unusable: " + cache; !strings.Contains(errOut, want) || !strings.Contains(errOut, "using the embedded catalog") {
		t.Errorf("damaged catalog: stderr lacks %q and the fallback:\n%s", want, errOut)
	}
}
