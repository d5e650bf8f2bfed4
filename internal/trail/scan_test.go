package trail_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/trail/gen"
	"github.com/seiri-dev/seiri/internal/usage"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func genCorpus(t testing.TB, dir string, days int, scale float64) gen.Stats {
	t.Helper()
	spec := gen.Sample(7, []string{"111111111111", "222222222222"}, t0, t0.AddDate(0, 0, days), scale)
	st, err := gen.Generate(spec, gen.DirSink(dir))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestScanGeneratedCorpus(t *testing.T) {
	dir := t.TempDir()
	st := genCorpus(t, dir, 1, 1)
	res, err := trail.Scan(context.Background(), &trail.DirSource{Dir: dir}, trail.Options{Parallel: 4})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	if s.Records != st.Records || s.FilesRead != st.Files || int64(len(res.Objects)) != st.Files {
		t.Fatalf("records %d files %d objects %d, generated %d records %d files", s.Records, s.FilesRead, len(res.Objects), st.Records, st.Files)
	}
	if s.BytesDecompressed != st.UncompressedBytes {
		t.Errorf("decompressed %d, generated %d", s.BytesDecompressed, st.UncompressedBytes)
	}
	var n int64
	types := map[string]bool{}
	for _, r := range res.Rows {
		n += r.Count
		types[r.PrincipalType] = true
	}
	if n != s.Mapped+s.NotAuthz || s.Unmapped != 0 || s.RecordsSkipped != 0 {
		t.Fatalf("row counts %d, mapped+notauthz %d, summary %+v", n, s.Mapped+s.NotAuthz, s)
	}
	for _, pt := range []string{trail.PTIAMUser, trail.PTAssumedRole, trail.PTIdentityCenter, trail.PTAWSService, trail.PTAWSAccount,
		trail.PTFederatedUser, trail.PTSAMLUser, trail.PTWebIdentityUser, trail.PTIdentityCenterUser} {
		if !types[pt] {
			t.Errorf("no rows for principal type %s", pt)
		}
	}
	// Same corpus, one worker: identical rows (the sample sets do not depend on order).
	res1, err := trail.Scan(context.Background(), &trail.DirSource{Dir: dir}, trail.Options{Parallel: 1})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(res.Rows, res1.Rows); diff != "" {
		t.Errorf("rows differ between 1 and N workers (-N +1):\n%s", diff)
	}
	// And everything else: the workers' aggregations are absorbed one
	// into the other, each table let go as it is folded in.
	if len(res.SessionKeys) == 0 || len(res.SessionUses) == 0 {
		t.Fatalf("the corpus has no session keys (%d) or uses (%d): the comparison below would be empty", len(res.SessionKeys), len(res.SessionUses))
	}
	if diff := cmp.Diff(res.SessionKeys, res1.SessionKeys); diff != "" {
		t.Errorf("session keys differ between 1 and N workers (-N +1):\n%s", diff)
	}
	if diff := cmp.Diff(res.SessionUses, res1.SessionUses); diff != "" {
		t.Errorf("session uses differ between 1 and N workers (-N +1):\n%s", diff)
	}
	if diff := cmp.Diff(res.Objects, res1.Objects); diff != "" {
		t.Errorf("objects differ between 1 and N workers (-N +1):\n%s", diff)
	}
	res.Summary.Duration, res1.Summary.Duration = 0, 0
	if diff := cmp.Diff(res.Summary, res1.Summary); diff != "" {
		t.Errorf("summaries differ between 1 and N workers (-N +1):\n%s", diff)
	}
}

func TestScanRowContent(t *testing.T) {
	dir := t.TempDir()
	genCorpus(t, dir, 1, 1)
	res, err := trail.Scan(context.Background(), &trail.DirSource{Dir: dir}, trail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	find := func(principal, action, errc string) *usage.Row {
		for i := range res.Rows {
			r := &res.Rows[i]
			if r.Account == "111111111111" && r.Principal == principal && r.Action == action && r.ErrorCode == errc {
				return r
			}
		}
		t.Fatalf("no row %s %s %q", principal, action, errc)
		return nil
	}
	r := find("arn:aws:iam::111111111111:role/workloads/app-ecs-task", "s3:PutObject", "AccessDenied")
	// Session (ASIA) keys are not part of the row key (schema 5): the
	// role's session keys are listed per day in SessionUses.
	used := false
	for _, u := range res.SessionUses {
		used = used || (u.Principal == r.Principal && len(u.Keys) > 0 && strings.HasPrefix(u.Keys[0], "ASIA"))
	}
	if r.Resource != "arn:aws:s3:::central-logs/app/*" || r.AccessKeyID != "" || !used ||
		!slices.Equal(r.IPClasses, []string{"private"}) || !slices.Equal(r.VPCEndpoints, []string{"vpce-0a1b2c3d4e5f60718"}) || len(r.Sessions) != 1 {
		t.Errorf("denied row: %+v", r)
	}
	r = find("arn:aws:iam::111111111111:role/lambda-api", "lambda:InvokeFunction", "")
	if !slices.Equal(r.SourceIdentities, []string{"deployer@example.com"}) {
		t.Errorf("source identity: %+v", r)
	}
	r = find("cloudtrail.amazonaws.com", "s3:GetBucketAcl", "")
	if r.PrincipalType != trail.PTAWSService || !slices.Equal(r.IPClasses, []string{"aws-service:cloudtrail.amazonaws.com"}) {
		t.Errorf("service row: %+v", r)
	}
	r = find("arn:aws:iam::222222222222:role/audit-reader", "s3:ListAllMyBuckets", "")
	if !r.CrossAccount() || r.Resource != "" {
		t.Errorf("cross-account row: %+v", r)
	}
	r = find("arn:aws:iam::111111111111:user/alice", "signin:ConsoleLogin", "")
	if r.Authz {
		t.Errorf("console login counted as authorization: %+v", r)
	}
	var issued int
	for _, k := range res.SessionKeys {
		if k.IssuerPrincipal == "arn:aws:iam::111111111111:user/service/ci-deploy" {
			issued++
			if !strings.HasPrefix(k.SessionKey, "ASIA") || !strings.HasPrefix(k.IssuerKey, "AKIA") || k.Action != "sts:AssumeRole" || k.Role != "arn:aws:iam::111111111111:role/deployer" {
				t.Errorf("session key %+v", k)
			}
		}
	}
	if issued == 0 {
		t.Error("no session keys issued to ci-deploy's key")
	}
	for _, r := range res.Rows {
		if r.PrincipalType == trail.PTIdentityCenter && r.PermissionSet() != "AdministratorAccess" {
			t.Errorf("permission set of %s: %q", r.Principal, r.PermissionSet())
		}
	}
}

func gz(t testing.TB, s string) []byte {
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	w.Write([]byte(s))
	w.Close()
	return b.Bytes()
}

const goodRecord = `{"eventVersion":"1.10","eventTime":"2026-11-01T10:00:00Z","eventSource":"s3.amazonaws.com","eventName":"ListBuckets","awsRegion":"us-east-1","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111111111111:user/u","accessKeyId":"AKIAX"},"recipientAccountId":"111111111111","sourceIPAddress":"8.8.8.8"}`

func writeFile(t testing.TB, dir, rel string, data []byte) {
	t.Helper()
	p := filepath.Join(dir, rel)
	os.MkdirAll(filepath.Dir(p), 0o755)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func TestScanBadInput(t *testing.T) {
	dir := t.TempDir()
	day := "AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/01/"
	good := gz(t, `{"Records":[`+goodRecord+`]}`)
	writeFile(t, dir, day+"good.json.gz", good)
	writeFile(t, dir, day+"truncated.json.gz", good[:len(good)-10])
	writeFile(t, dir, day+"notjson.json.gz", gz(t, "<html>nope</html>"))
	writeFile(t, dir, day+"notct.json", []byte(`{"configurationItems":[]}`))
	writeFile(t, dir, day+"empty.json.gz", nil)
	writeFile(t, dir, day+"broken.json", []byte(`{"Records":[`+goodRecord+`,{"eventName":`))
	big := `{"Records":[` + strings.Replace(goodRecord, `"sourceIPAddress"`, `"requestParameters":{"blob":"`+strings.Repeat("x", 8<<20)+`"},"sourceIPAddress"`, 1) + `]}`
	writeFile(t, dir, day+"bigrecord.json.gz", gz(t, big))
	writeFile(t, dir, day+"records.json", []byte(`{"Records":[`+
		`{"eventVersion":"1.08","eventSource":"s3.amazonaws.com","eventName":"GetObject"},`+ // no eventTime
		strings.Replace(goodRecord, `"1.10"`, `"2.0"`, 1)+`,`+ // unknown version
		strings.Replace(goodRecord, `"2026-11-01T10:00:00Z"`, `"soon"`, 1)+`,`+
		strings.Replace(goodRecord, `"userIdentity"`, `"userIdentityX"`, 1)+`,`+
		strings.Replace(goodRecord, `"s3.amazonaws.com"`, `"weird.example.com"`, 1)+`,`+
		`7]}`))
	writeFile(t, dir, "AWSLogs/111111111111/CloudTrail-Digest/us-east-1/2026/11/01/d.json.gz", gz(t, `{}`))
	writeFile(t, dir, "README.txt", []byte("hi"))

	res, err := trail.Scan(context.Background(), &trail.DirSource{Dir: dir}, trail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	s := res.Summary
	got := map[string]int64{}
	for reason, sk := range s.SkippedFiles {
		got["file: "+reason] = sk.Count
	}
	for reason, sk := range s.SkippedRecords {
		got["record: "+reason] = sk.Count
	}
	want := map[string]int64{
		"file: " + trail.SkipFileGzip:        1,
		"file: " + trail.SkipFileNotJSON:     1,
		"file: " + trail.SkipFileNotCT:       1,
		"file: " + trail.SkipFileEmpty:       1,
		"file: " + trail.SkipFileSyntax:      1,
		"record: " + trail.SkipMissingFields: 1,
		"record: " + trail.SkipVersion:       1,
		"record: " + trail.SkipBadTime:       1,
		"record: " + trail.SkipNoIdentity:    1,
		"record: " + trail.SkipNotObject:     1,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("skips (-want +got):\n%s", diff)
	}
	if s.DigestFiles != 1 || s.IgnoredFiles != 1 || s.Unmapped != 1 {
		t.Errorf("digests %d ignored %d unmapped %d", s.DigestFiles, s.IgnoredFiles, s.Unmapped)
	}
	// good + broken's first record + big record
	if len(res.Rows) != 1 || res.Rows[0].Count != 3 {
		t.Errorf("rows: %+v", res.Rows)
	}
	if !strings.Contains(strings.Join(s.SkippedFiles[trail.SkipFileGzip].Examples, ","), "truncated.json.gz") {
		t.Errorf("gzip skip examples: %v", s.SkippedFiles[trail.SkipFileGzip].Examples)
	}
	if ex := s.SkippedRecords[trail.SkipVersion].Examples; len(ex) != 1 || !strings.HasSuffix(ex[0], "records.json#1") {
		t.Errorf("version skip examples: %v", ex)
	}
	// The truncated gzip was not read to its end: it is not marked scanned.
	for _, o := range res.Objects {
		if strings.HasSuffix(o.Key, "truncated.json.gz") {
			t.Errorf("truncated file marked scanned")
		}
	}
	if len(res.Objects) != 7 {
		t.Errorf("%d objects marked, want 7", len(res.Objects))
	}

	_, err = trail.Scan(context.Background(), &trail.DirSource{Dir: dir}, trail.Options{Strict: true, Parallel: 1})
	var se *trail.StrictError
	if !errors.As(err, &se) {
		t.Fatalf("strict: %v", err)
	}
}

// recordingSource records which objects were opened.
type recordingSource struct {
	trail.DirSource
	mu     sync.Mutex
	opened []string
}

func (r *recordingSource) Open(ctx context.Context, o trail.Object) (io.ReadCloser, error) {
	r.mu.Lock()
	r.opened = append(r.opened, o.Key)
	r.mu.Unlock()
	return r.DirSource.Open(ctx, o)
}

func TestScanFilterNeverOpensOutside(t *testing.T) {
	dir := t.TempDir()
	genCorpus(t, dir, 3, 0.2)
	src := &recordingSource{DirSource: trail.DirSource{Dir: dir}}
	flt := trail.Filter{Since: t0.Add(36 * time.Hour), Until: t0.Add(48 * time.Hour), Accounts: []string{"222222222222"}, Regions: []string{"us-east-1"}}
	res, err := trail.Scan(context.Background(), src, trail.Options{Filter: flt})
	if err != nil {
		t.Fatal(err)
	}
	if len(src.opened) == 0 {
		t.Fatal("nothing opened")
	}
	for _, k := range src.opened {
		// A file delivered at T holds events of (T-DeliverySlack, T+1m).
		pi := trail.ParsePath(k)
		if pi.Account != "222222222222" || !pi.Delivered.Add(time.Minute).After(flt.Since) || !pi.Delivered.Add(-trail.DeliverySlack).Before(flt.Until) {
			t.Errorf("opened %s outside the filter", k)
		}
	}
	for _, r := range res.Rows {
		if r.Account != "222222222222" || r.FirstSeen.Before(flt.Since) || !r.LastSeen.Before(flt.Until) {
			t.Errorf("row outside filter: %+v", r.Key)
		}
	}
	if res.Summary.PrunedByFilter == 0 || res.Summary.RecordsOutside == 0 {
		t.Errorf("pruned %d outside %d", res.Summary.PrunedByFilter, res.Summary.RecordsOutside)
	}
}

func TestRescanReadsOnlyNewObjects(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	genCorpus(t, dir, 1, 0.2)
	store, err := usage.Open(ctx, filepath.Join(t.TempDir(), "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	src := &trail.DirSource{Dir: dir}
	scan := func() *trail.Result {
		marks, err := store.ScannedObjects(ctx, src.Name())
		if err != nil {
			t.Fatal(err)
		}
		res, err := trail.Scan(ctx, src, trail.Options{Scanned: marks})
		if err != nil {
			t.Fatal(err)
		}
		if err := store.Commit(ctx, usage.Batch{Rows: res.Rows, Unmapped: res.Unmapped, Objects: res.Objects}); err != nil {
			t.Fatal(err)
		}
		return res
	}
	first := scan()
	before, _ := store.Usage(ctx, usage.Query{})
	again := scan()
	if again.Summary.FilesRead != 0 || again.Summary.FilesAlreadyScanned != first.Summary.FilesRead {
		t.Fatalf("rescan read %d files, already scanned %d", again.Summary.FilesRead, again.Summary.FilesAlreadyScanned)
	}
	after, _ := store.Usage(ctx, usage.Query{})
	if diff := cmp.Diff(before, after); diff != "" {
		t.Errorf("rescan changed the store:\n%s", diff)
	}
	// A new day arrives: only it is read, and counts add up.
	spec := gen.Sample(8, []string{"111111111111"}, t0.AddDate(0, 0, 1), t0.AddDate(0, 0, 2), 0.2)
	st, err := gen.Generate(spec, gen.DirSink(dir))
	if err != nil {
		t.Fatal(err)
	}
	third := scan()
	if third.Summary.FilesRead != st.Files || third.Summary.Records != st.Records {
		t.Errorf("third scan read %d files %d records, want %d %d", third.Summary.FilesRead, third.Summary.Records, st.Files, st.Records)
	}
	tot, _ := store.Totals(ctx)
	if tot.Events != first.Summary.Mapped+first.Summary.NotAuthz+third.Summary.Mapped+third.Summary.NotAuthz {
		t.Errorf("store holds %d events", tot.Events)
	}
}

// TestSecretsNeverKept: credentials in responseElements (STS) and request
// parameters never reach the rows, the session keys or the store.
func TestSecretsNeverKept(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	const token, secret = "IQoJb3JpZ2luX2VjEXAMPLETOKEN", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	rec := strings.Replace(goodRecord, `"eventSource":"s3.amazonaws.com","eventName":"ListBuckets"`,
		`"eventSource":"sts.amazonaws.com","eventName":"GetSessionToken","requestParameters":{"secretAccessKey":"`+secret+`","name":"`+token+`x"},`+
			`"responseElements":{"credentials":{"accessKeyId":"ASIANEWKEY","secretAccessKey":"`+secret+`","sessionToken":"`+token+`"}}`, 1)
	writeFile(t, dir, "AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/01/s.json", []byte(`{"Records":[`+rec+`]}`))
	res, err := trail.Scan(ctx, &trail.DirSource{Dir: dir}, trail.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.SessionKeys) != 1 || res.SessionKeys[0].SessionKey != "ASIANEWKEY" || res.SessionKeys[0].IssuerKey != "AKIAX" {
		t.Fatalf("session keys %+v", res.SessionKeys)
	}
	db := filepath.Join(t.TempDir(), "usage.db")
	store, err := usage.Open(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if err := store.Commit(ctx, usage.Batch{Rows: res.Rows, SessionKeys: res.SessionKeys, Objects: res.Objects}); err != nil {
		t.Fatal(err)
	}
	store.Close()
	var all []byte
	for _, suffix := range []string{"", "-wal"} {
		b, _ := os.ReadFile(db + suffix)
		all = append(all, b...)
	}
	dump := fmt.Sprintf("%+v %+v", res.Rows, res.SessionKeys)
	for _, s := range []string{token, secret} {
		if strings.Contains(dump, s) || bytes.Contains(all, []byte(s)) {
			t.Errorf("%q leaked", s[:8])
		}
	}
}

// TestUntilEdgeReadsLateDeliveries: a file delivered just after --until (in
// the next day's folder) still holds events before it.
func TestUntilEdgeReadsLateDeliveries(t *testing.T) {
	dir := t.TempDir()
	late := strings.Replace(goodRecord, "2026-11-01T10:00:00Z", "2026-11-01T23:58:00Z", 1)
	folder := "AWSLogs/111111111111/CloudTrail/us-east-1/2026/11/02/"
	writeFile(t, dir, folder+"111111111111_CloudTrail_us-east-1_20261102T0005Z_a.json.gz", gz(t, `{"Records":[`+late+`]}`))
	writeFile(t, dir, folder+"111111111111_CloudTrail_us-east-1_20261102T0105Z_b.json.gz", gz(t, `{"Records":[`+late+`]}`))
	src := &recordingSource{DirSource: trail.DirSource{Dir: dir}}
	res, err := trail.Scan(context.Background(), src, trail.Options{Filter: trail.Filter{Until: time.Date(2026, 11, 2, 0, 0, 0, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	if len(res.Rows) != 1 || res.Rows[0].Count != 1 || len(src.opened) != 1 || !strings.Contains(src.opened[0], "T0005Z") {
		t.Errorf("rows %+v, opened %v", res.Rows, src.opened)
	}
}
