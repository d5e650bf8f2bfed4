package s3ws_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/workspace/s3ws"
)

const bucket = "seiri-state"

func client(t *testing.T) (*s3.Client, *awsfake.Server) {
	t.Helper()
	fake := awsfake.New(awsfake.Scenario{Caller: "111111111111"})
	t.Cleanup(fake.Close)
	if err := fake.S3Backend().CreateBucket(bucket); err != nil {
		t.Fatal(err)
	}
	c := s3.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: fake.Credentials()}, func(o *s3.Options) {
		o.BaseEndpoint = aws.String(fake.URL)
		o.UsePathStyle = true
	})
	return c, fake
}

// clock is a settable clock shared by the runners of a test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

// A second runner refuses at once, naming the holder; with a wait it gets
// the lock when the first releases it and sees the first one's files.
func TestLockRefusesThenWaits(t *testing.T) {
	c, _ := client(t)
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)}
	a, err := s3ws.Open(ctx, c, "s3://"+bucket+"/prod", s3ws.Options{Owner: "runner-a", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s3ws.Open(ctx, c, "s3://"+bucket+"/prod", s3ws.Options{Owner: "runner-b", Now: clk.Now})
	var held *s3ws.HeldError
	if !errors.As(err, &held) || held.Holder.Owner != "runner-a" {
		t.Fatalf("second runner: %v", err)
	}
	want := "workspace s3://seiri-state/prod is locked by runner-a since 2026-12-02T06:00:00Z (lease until 2026-12-02T06:30:00Z); did not wait (--lock-wait 0)"
	if !strings.HasPrefix(err.Error(), want) {
		t.Errorf("message:\n%s\nwant prefix\n%s", err, want)
	}
	os.WriteFile(filepath.Join(a.LocalDir(), "journal.jsonl"), []byte("a\n"), 0o600)
	if _, err := a.Push(ctx); err != nil {
		t.Fatal(err)
	}
	// b waits; a finishes after two polls.
	polls := 0
	b, err := s3ws.Open(ctx, c, "s3://"+bucket+"/prod", s3ws.Options{Owner: "runner-b", Now: clk.Now, Wait: time.Minute, Poll: 10 * time.Second,
		Sleep: func(_ context.Context, d time.Duration) error {
			polls++
			clk.Add(d)
			if polls == 2 {
				return a.Close(ctx)
			}
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	defer b.Close(ctx)
	if polls != 2 {
		t.Errorf("polls %d", polls)
	}
	got, _ := os.ReadFile(filepath.Join(b.LocalDir(), "journal.jsonl"))
	if string(got) != "a\n" {
		t.Errorf("b sees %q", got)
	}
	// The wait is bounded.
	_, err = s3ws.Open(ctx, c, "s3://"+bucket+"/prod", s3ws.Options{Owner: "runner-c", Now: clk.Now, Wait: 30 * time.Second, Poll: 10 * time.Second,
		Sleep: func(_ context.Context, d time.Duration) error { clk.Add(d); return nil }})
	if !errors.As(err, &held) || held.Holder.Owner != "runner-b" || !strings.Contains(err.Error(), "waited 30s") {
		t.Fatalf("third runner: %v", err)
	}
}

// A lock whose lease expired (its runner died) is taken over by exactly
// one of the runners that find it.
func TestStaleLockTakenOverOnce(t *testing.T) {
	c, _ := client(t)
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)}
	if _, err := s3ws.Open(ctx, c, "s3://"+bucket+"/p", s3ws.Options{Owner: "dead", Now: clk.Now, Lease: time.Minute}); err != nil {
		t.Fatal(err)
	} // never closed: the runner died
	clk.Add(2 * time.Minute)
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			w, err := s3ws.Open(ctx, c, "s3://"+bucket+"/p", s3ws.Options{Owner: "r" + strconv.Itoa(i), Now: clk.Now})
			if err == nil {
				won.Add(1)
				_ = w // keep the lock: the others must all refuse
				return
			}
			var held *s3ws.HeldError
			if !errors.As(err, &held) {
				t.Errorf("runner %d: %v", i, err)
			}
		}()
	}
	wg.Wait()
	if won.Load() != 1 {
		t.Fatalf("%d runners took the stale lock", won.Load())
	}
}

// Only changed files go up, removed files are deleted, the daily state
// goes last, and names that would leave the folder are refused.
func TestPushUploadsChangesOnly(t *testing.T) {
	c, fake := client(t)
	ctx := context.Background()
	w, err := s3ws.Open(ctx, c, "s3://"+bucket+"/ws", s3ws.Options{Owner: "a"})
	if err != nil {
		t.Fatal(err)
	}
	dir := w.LocalDir()
	fi, _ := os.Stat(dir)
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("local folder mode %v", fi.Mode().Perm())
	}
	os.MkdirAll(filepath.Join(dir, "daily"), 0o700)
	os.WriteFile(filepath.Join(dir, "usage.db"), []byte("db1"), 0o600)
	os.WriteFile(filepath.Join(dir, "old.txt"), []byte("x"), 0o600)
	os.WriteFile(filepath.Join(dir, "daily", "state.json"), []byte("{}"), 0o600)
	rep, err := w.Push(ctx)
	if err != nil || rep != "s3://seiri-state/ws: 3 files uploaded, 0 removed, 0 unchanged" {
		t.Fatalf("%q %v", rep, err)
	}
	os.WriteFile(filepath.Join(dir, "usage.db"), []byte("db2"), 0o600)
	os.Remove(filepath.Join(dir, "old.txt"))
	rep, err = w.Push(ctx)
	if err != nil || rep != "s3://seiri-state/ws: 1 files uploaded, 1 removed, 1 unchanged" {
		t.Fatalf("%q %v", rep, err)
	}
	w.Close(ctx)
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("local folder left behind: %v", err)
	}
	// A planted object name that climbs out of the folder.
	be := fake.S3Backend()
	if _, err := be.PutObject(bucket, "ws/../../escape", map[string]string{}, strings.NewReader("x"), 1, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := s3ws.Open(ctx, c, "s3://"+bucket+"/ws", s3ws.Options{Owner: "b"}); err == nil || !strings.Contains(err.Error(), "outside the workspace") {
		t.Fatalf("escape: %v", err)
	}
	// and the refusal released the lock
	if _, err := be.HeadObject(bucket, "ws/"+s3ws.LockName); err == nil {
		t.Error("the lock is left after a refused download")
	}
}

// With a clock that does not move (SEIRI_NOW), the wait still ends.
func TestWaitEndsWithAFixedClock(t *testing.T) {
	c, _ := client(t)
	ctx := context.Background()
	fixed := func() time.Time { return time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC) }
	if _, err := s3ws.Open(ctx, c, "s3://"+bucket+"/f", s3ws.Options{Owner: "a", Now: fixed}); err != nil {
		t.Fatal(err)
	}
	sleeps := 0
	_, err := s3ws.Open(ctx, c, "s3://"+bucket+"/f", s3ws.Options{Owner: "b", Now: fixed, Wait: time.Minute, Poll: 20 * time.Second,
		Sleep: func(context.Context, time.Duration) error { sleeps++; return nil }})
	var held *s3ws.HeldError
	if !errors.As(err, &held) || sleeps != 3 || held.Waited != time.Minute {
		t.Fatalf("err %v after %d sleeps", err, sleeps)
	}
}

// A runner whose lease lapsed and was taken over cannot renew it, and then
// uploads nothing: the new holder's workspace is never overwritten.
func TestLapsedLeaseUploadsNothing(t *testing.T) {
	c, _ := client(t)
	ctx := context.Background()
	clk := &clock{t: time.Date(2026, 12, 2, 6, 0, 0, 0, time.UTC)}
	tick := make(chan time.Time)
	a, err := s3ws.Open(ctx, c, "s3://"+bucket+"/l", s3ws.Options{Owner: "a", Now: clk.Now, Lease: time.Minute,
		Tick: func(time.Duration) <-chan time.Time { return tick }})
	if err != nil {
		t.Fatal(err)
	}
	// A renewal while the lease holds extends it.
	clk.Add(30 * time.Second)
	tick <- time.Time{}
	tick <- time.Time{} // the second send waits for the first renewal to finish
	clk.Add(45 * time.Second)
	if _, err := s3ws.Open(ctx, c, "s3://"+bucket+"/l", s3ws.Options{Owner: "b", Now: clk.Now}); err == nil {
		t.Fatal("b took a lock whose lease was renewed")
	}
	// a stalls past its lease; b takes over and writes.
	clk.Add(2 * time.Minute)
	b, err := s3ws.Open(ctx, c, "s3://"+bucket+"/l", s3ws.Options{Owner: "b", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(b.LocalDir(), "journal.jsonl"), []byte("b\n"), 0o600)
	if _, err := b.Push(ctx); err != nil {
		t.Fatal(err)
	}
	tick <- time.Time{}
	tick <- time.Time{}
	os.WriteFile(filepath.Join(a.LocalDir(), "journal.jsonl"), []byte("a\n"), 0o600)
	if _, err := a.Push(ctx); err == nil || !strings.Contains(err.Error(), "the lock lease could not be renewed") {
		t.Fatalf("a pushed after losing its lease: %v", err)
	}
	a.Close(ctx) // must not remove b's lock
	var held *s3ws.HeldError
	if _, err := s3ws.Open(ctx, c, "s3://"+bucket+"/l", s3ws.Options{Owner: "x", Now: clk.Now}); !errors.As(err, &held) || held.Holder.Owner != "b" {
		t.Fatalf("after a closed: %v", err)
	}
	b.Close(ctx)
	r, err := s3ws.Open(ctx, c, "s3://"+bucket+"/l", s3ws.Options{Owner: "r", Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close(ctx)
	if got, _ := os.ReadFile(filepath.Join(r.LocalDir(), "journal.jsonl")); string(got) != "b\n" {
		t.Errorf("journal %q, want b's", got)
	}
}
