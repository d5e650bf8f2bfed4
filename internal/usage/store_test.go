package usage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var t0 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

func openTemp(t testing.TB) *Store {
	t.Helper()
	s, err := Open(context.Background(), filepath.Join(t.TempDir(), "usage.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func row(principal, action, errc string, first, last time.Duration, n int64, ips ...string) Row {
	return Row{Key: Key{Account: "111111111111", Principal: principal, PrincipalType: "IAMUser", AccessKeyID: "AKIA1", Action: action, ErrorCode: errc},
		FirstSeen: t0.Add(first), LastSeen: t0.Add(last), Count: n, Authz: true, SourceIPs: ips, IPClasses: []string{"public"}}
}

func TestCommitMergesRows(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	u := "arn:aws:iam::111111111111:user/u"
	if err := s.Upsert(ctx, []Row{row(u, "s3:GetObject", "", time.Hour, 2*time.Hour, 3, "1.1.1.1", "9.9.9.9")}); err != nil {
		t.Fatal(err)
	}
	if err := s.Upsert(ctx, []Row{
		row(u, "s3:GetObject", "", 0, time.Hour, 2, "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"),
		row(u, "s3:PutObject", "AccessDenied", 0, 0, 1),
	}); err != nil {
		t.Fatal(err)
	}
	got, err := s.Usage(ctx, Query{})
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{Key: Key{Account: "111111111111", Principal: u, PrincipalType: "IAMUser", AccessKeyID: "AKIA1", Action: "s3:GetObject"},
			FirstSeen: t0, LastSeen: t0.Add(2 * time.Hour), Count: 5, Authz: true, IPClasses: []string{"public"},
			SourceIPs: []string{"1.1.1.1", "2.2.2.2", "3.3.3.3", "4.4.4.4", "5.5.5.5"}},
		{Key: Key{Account: "111111111111", Principal: u, PrincipalType: "IAMUser", AccessKeyID: "AKIA1", Action: "s3:PutObject", ErrorCode: "AccessDenied"},
			FirstSeen: t0, LastSeen: t0, Count: 1, Authz: true, IPClasses: []string{"public"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	fi, err := os.Stat(s.Path())
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("store mode %v %v", fi.Mode(), err)
	}
}

func TestUsageQuery(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	a, b := "arn:aws:iam::111111111111:user/a", "arn:aws:iam::111111111111:user/b"
	rows := []Row{
		row(a, "s3:GetObject", "", 0, time.Hour, 1),
		row(a, "s3:PutObject", "AccessDenied", 48*time.Hour, 49*time.Hour, 1),
		row(b, "ec2:DescribeInstances", "", 24*time.Hour, 25*time.Hour, 1),
		row(b, "s3_x:Get%", "", 24*time.Hour, 25*time.Hour, 1),
	}
	rows[2].AccessKeyID = "AKIA2"
	if err := s.Upsert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		q    Query
		want []string
	}{
		{"all", Query{}, []string{"s3:GetObject", "s3:PutObject", "s3_x:Get%", "ec2:DescribeInstances"}},
		{"principal", Query{Principal: a}, []string{"s3:GetObject", "s3:PutObject"}},
		{"access key", Query{AccessKeyID: "AKIA2"}, []string{"ec2:DescribeInstances"}},
		{"errors", Query{ErrorsOnly: true}, []string{"s3:PutObject"}},
		{"action wildcard", Query{Action: "s3:*"}, []string{"s3:GetObject", "s3:PutObject"}},
		{"action exact with LIKE characters", Query{Action: "s3_x:Get%"}, []string{"s3_x:Get%"}},
		{"since", Query{Since: t0.Add(30 * time.Hour)}, []string{"s3:PutObject"}},
		{"until", Query{Until: t0.Add(2 * time.Hour)}, []string{"s3:GetObject"}},
		{"account none", Query{Account: "222222222222"}, nil},
		{"limit", Query{Limit: 1}, []string{"s3:GetObject"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := s.Usage(ctx, tt.q)
			if err != nil {
				t.Fatal(err)
			}
			var acts []string
			for _, r := range got {
				acts = append(acts, r.Action)
			}
			if diff := cmp.Diff(tt.want, acts); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestScannedObjectsAndRuns(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	objs := []Object{{Source: "/d", Key: "a.json.gz", Size: 10, MTime: t0}, {Source: "/d", Key: "b.json.gz", Size: 20, ETag: "e", MTime: t0}}
	run := &Run{Engine: "local", StartedAt: t0, FinishedAt: t0.Add(time.Second), Sources: []string{"/d"}, Summary: []byte(`{"records":3}`)}
	sk := []SessionKey{{SessionKey: "ASIA1", IssuerKey: "AKIA1", IssuerPrincipal: "arn:aws:iam::1:user/u", Action: "sts:AssumeRole", Role: "arn:aws:iam::1:role/r", IssuedAt: t0}}
	if err := s.Commit(ctx, Batch{SessionKeys: sk, Objects: objs, Run: run, Unmapped: []UnmappedPair{{EventSource: "x.amazonaws.com", EventName: "Y", Count: 2, FirstSeen: t0, LastSeen: t0}}}); err != nil {
		t.Fatal(err)
	}
	if err := s.Commit(ctx, Batch{Unmapped: []UnmappedPair{{EventSource: "x.amazonaws.com", EventName: "Y", Count: 3, FirstSeen: t0.Add(-time.Hour), LastSeen: t0}}}); err != nil {
		t.Fatal(err)
	}
	marks, err := s.ScannedObjects(ctx, "/d")
	if err != nil {
		t.Fatal(err)
	}
	if !marks["a.json.gz"].Same(objs[0]) || !marks["b.json.gz"].Same(objs[1]) || len(marks) != 2 {
		t.Errorf("marks %+v", marks)
	}
	changed := objs[1]
	changed.Size = 21
	if marks["b.json.gz"].Same(changed) {
		t.Error("changed object reads as the same")
	}
	if m, _ := s.ScannedObjects(ctx, "/other"); len(m) != 0 {
		t.Errorf("other source: %v", m)
	}
	un, _ := s.Unmapped(ctx)
	if len(un) != 1 || un[0].Count != 5 || !un[0].FirstSeen.Equal(t0.Add(-time.Hour)) {
		t.Errorf("unmapped %+v", un)
	}
	for _, q := range [][2]string{{"AKIA1", ""}, {"", "ASIA1"}, {"", ""}} {
		got, err := s.SessionKeys(ctx, q[0], q[1])
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(sk, got); diff != "" {
			t.Errorf("session keys %v: %s", q, diff)
		}
	}
	if got, _ := s.SessionKeys(ctx, "AKIA2", ""); len(got) != 0 {
		t.Errorf("session keys of AKIA2: %v", got)
	}
	runs, _ := s.Runs(ctx, 0)
	if len(runs) != 1 || runs[0].ID != run.ID || string(runs[0].Summary) != `{"records":3}` || runs[0].Sources[0] != "/d" {
		t.Errorf("runs %+v", runs)
	}
	tot, _ := s.Totals(ctx)
	if tot.ScannedObjects != 2 || tot.UnmappedEvents != 5 || tot.Runs != 1 {
		t.Errorf("totals %+v", tot)
	}
}

func TestMergeSetBoundedAndSorted(t *testing.T) {
	got := MergeSet([]string{"d", "b"}, []string{"a", "b", "", "z", "c", "e"}, 3)
	if diff := cmp.Diff([]string{"a", "b", "c"}, got); diff != "" {
		t.Error(diff)
	}
}

func TestPermissionSetOf(t *testing.T) {
	for in, want := range map[string]string{
		"arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/AWSReservedSSO_AdministratorAccess_0123abcd":      "AdministratorAccess",
		"arn:aws:iam::1:role/aws-reserved/sso.amazonaws.com/eu-west-1/AWSReservedSSO_Read_Only_Team_0123abcd": "Read_Only_Team",
		"arn:aws:iam::1:role/app": "",
	} {
		if got := PermissionSetOf(in); got != want {
			t.Errorf("PermissionSetOf(%q) = %q, want %q", in, got, want)
		}
	}
}

// BenchmarkScannedObjects100k measures loading the marks of 100,000 scanned
// objects (288 five-minute files a day, ~350 day folders), the fixed cost of
// a rescan with nothing new.
func BenchmarkScannedObjects100k(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	objs := make([]Object, 100_000)
	for i := range objs {
		objs[i] = Object{Source: "s3://bucket/AWSLogs", Size: int64(i), ETag: fmt.Sprintf("%032x", i), MTime: t0,
			Key: fmt.Sprintf("AWSLogs/o-abc/111111111111/CloudTrail/us-east-1/day-%03d/111111111111_CloudTrail_us-east-1_20261101T%04dZ_%016d.json.gz", i/288, i%2400, i)}
	}
	if err := s.Commit(ctx, Batch{Objects: objs}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := s.ScannedObjects(ctx, "s3://bucket/AWSLogs")
		if err != nil || len(m) != len(objs) {
			b.Fatal(err, len(m))
		}
	}
}

// A Limit keeps the first rows of the whole answer in key order, whatever
// filter goes with it (the store reads it account by account).
func TestUsageLimitIsAPrefix(t *testing.T) {
	ctx := context.Background()
	s := openTemp(t)
	rows := randomRows(rand.New(rand.NewPCG(11, 12)), 300)
	rows[0].Account = "000000000000" // a third account, first in order, one row
	if err := s.Upsert(ctx, rows); err != nil {
		t.Fatal(err)
	}
	for _, q := range []Query{{}, {Action: "s3:*"}, {ErrorsOnly: true}, {Principal: rows[5].Principal}} {
		all, err := s.Usage(ctx, q)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range []int{1, 2, 7, len(all) - 1, len(all), len(all) + 3} {
			if n <= 0 {
				continue
			}
			lq := q
			lq.Limit = n
			got, err := s.Usage(ctx, lq)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(all[:min(n, len(all))], got); diff != "" {
				t.Errorf("%+v (-first rows of the whole answer +limited):\n%s", lq, diff)
			}
		}
	}
}

// BenchmarkScannedObjectsDelivery100k: the same for 100,000 counted files of
// the delivery layout (60 accounts' day folders, CloudTrail names): their
// marks are folded into the ledger's folder rows (schema 8).
func BenchmarkScannedObjectsDelivery100k(b *testing.B) {
	ctx := context.Background()
	s := openTemp(b)
	objs := make([]Object, 100_000)
	const alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	for i := range objs {
		acct := fmt.Sprintf("%012d", 100000000000+i%60)
		day := 1 + (i/60/288)%28
		uniq := []byte("0000000000000000")
		for j, v := 0, i; j < 16; j, v = j+1, v/62 {
			uniq[15-j] = alpha[v%62]
		}
		name := fmt.Sprintf("%s_CloudTrail_us-east-1_202611%02dT%02d%02dZ_%s.json", acct, day, (i/60)%24, (i/60/24)%60, uniq)
		dir := fmt.Sprintf("%s/us-east-1/2026/11/%02d", acct, day)
		objs[i] = Object{Source: "/logs", Size: int64(5000 + i%3000), MTime: t0.Add(time.Duration(i) * time.Second),
			Key: fmt.Sprintf("AWSLogs/%s/CloudTrail/us-east-1/2026/11/%02d/%s.gz", acct, day, name),
			ID:  ObjectID{Dir: dir, Name: name}, ContentSize: 48000, Digest: Digest([]byte(name)), Counted: true}
	}
	if err := s.Commit(ctx, Batch{Objects: objs}); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		m, err := s.ScannedObjects(ctx, "/logs")
		if err != nil || len(m) != len(objs) {
			b.Fatal(err, len(m))
		}
	}
}

// BenchmarkCommitObjects100k: the ledger's and marks' share of a commit:
// 100,000 counted delivery-layout objects (60 accounts' day folders) into
// a fresh store.
func BenchmarkCommitObjects100k(b *testing.B) {
	ctx := context.Background()
	objs := make([]Object, 100_000)
	const alpha = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	for i := range objs {
		acct := fmt.Sprintf("%012d", 100000000000+i%60)
		day := 1 + (i/60/288)%28
		uniq := []byte("0000000000000000")
		for j, v := 0, i; j < 16; j, v = j+1, v/62 {
			uniq[15-j] = alpha[v%62]
		}
		name := fmt.Sprintf("%s_CloudTrail_us-east-1_202611%02dT%02d%02dZ_%s.json", acct, day, (i/60)%24, (i/60/24)%60, uniq)
		objs[i] = Object{Source: "/logs", Size: int64(5000 + i%3000), MTime: t0.Add(time.Duration(i) * time.Second),
			Key: fmt.Sprintf("AWSLogs/%s/CloudTrail/us-east-1/2026/11/%02d/%s.gz", acct, day, name),
			ID:  ObjectID{Dir: fmt.Sprintf("%s/us-east-1/2026/11/%02d", acct, day), Name: name}, ContentSize: 48000, Digest: Digest([]byte(name)), Counted: true}
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		s := openTemp(b)
		b.StartTimer()
		if err := s.Commit(ctx, Batch{Objects: objs}); err != nil {
			b.Fatal(err)
		}
	}
}
