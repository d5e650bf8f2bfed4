// Package s3ws keeps a seiri workspace in S3 (--workspace
// s3://bucket/prefix) for runners without a disk of their own: Open takes
// the lock object, syncs the workspace down to a private temporary folder;
// Push uploads what changed (the daily state last, so a run cut short
// leaves the previous state in force); Close releases the lock and removes
// the folder.
//
// The lock is one object, <prefix>/.seiri-lock.json, created with a
// conditional write (PutObject If-None-Match: "*": S3 refuses it with 412
// when the object exists; Amazon S3 User Guide, "Add preconditions to S3
// operations with conditional requests"). It holds the owner, the time it
// was taken and when its lease expires. A lock whose lease expired is taken
// over with If-Match on its ETag, so two runners finding the same stale
// lock cannot both win. The holder renews the lease (If-Match on its own
// ETag) while it runs.
package s3ws

import (
	"bytes"
	"context"
	"crypto/md5"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	"github.com/aws/smithy-go"

	"github.com/seiri-dev/seiri/internal/workspace"
)

// Client is the part of the S3 client the workspace uses.
type Client interface {
	GetObject(ctx context.Context, in *s3.GetObjectInput, optFns ...func(*s3.Options)) (*s3.GetObjectOutput, error)
	PutObject(ctx context.Context, in *s3.PutObjectInput, optFns ...func(*s3.Options)) (*s3.PutObjectOutput, error)
	DeleteObject(ctx context.Context, in *s3.DeleteObjectInput, optFns ...func(*s3.Options)) (*s3.DeleteObjectOutput, error)
	ListObjectsV2(ctx context.Context, in *s3.ListObjectsV2Input, optFns ...func(*s3.Options)) (*s3.ListObjectsV2Output, error)
}

// LockName is the lock object's name under the prefix.
const LockName = ".seiri-lock.json"

// Lock is the lock object's content.
type Lock struct {
	Owner    string    `json:"owner"` // host/pid/random
	Acquired time.Time `json:"acquired"`
	Expires  time.Time `json:"expires"`
}

// Options tune Open.
type Options struct {
	// Owner names this runner in the lock (default host/pid).
	Owner string
	// Lease is how long the lock holds without renewal (default 30m); the
	// holder renews it every Lease/3.
	Lease time.Duration
	// Wait is how long to wait for another runner's lock (0: not at all).
	Wait time.Duration
	// Poll is the wait between tries (default 5s).
	Poll time.Duration
	// Now is the clock of the lease (default time.Now). Leases compare
	// times written by different runners: their clocks must roughly agree.
	Now func() time.Time
	// Sleep waits (tests shorten it).
	Sleep func(context.Context, time.Duration) error
	// Tick paces the lease renewal (default time.After; tests drive it).
	Tick func(time.Duration) <-chan time.Time
}

// HeldError says another runner holds the lock.
type HeldError struct {
	URL    string
	Holder Lock
	Waited time.Duration
}

func (e *HeldError) Error() string {
	w := "did not wait (--lock-wait 0)"
	if e.Waited > 0 {
		w = fmt.Sprintf("waited %s", e.Waited)
	}
	return fmt.Sprintf("workspace %s is locked by %s since %s (lease until %s); %s. Another seiri daily is running; if it died, the lock expires at its lease end",
		e.URL, e.Holder.Owner, e.Holder.Acquired.UTC().Format(time.RFC3339), e.Holder.Expires.UTC().Format(time.RFC3339), w)
}

// Workspace is an S3 workspace synced to a local folder.
type Workspace struct {
	c              Client
	bucket, prefix string
	url            string
	dir            string
	opts           Options
	// remote are the objects as downloaded: relative path → MD5 (hex).
	remote map[string]string

	mu       sync.Mutex
	lockETag string
	lock     Lock
	stop     chan struct{}
	done     chan struct{}
	renewErr error
}

// ParseURL splits s3://bucket/prefix.
func ParseURL(u string) (bucket, prefix string, err error) {
	rest, ok := strings.CutPrefix(u, "s3://")
	if !ok {
		return "", "", fmt.Errorf("workspace %q: not an s3:// URL", u)
	}
	bucket, prefix, _ = strings.Cut(rest, "/")
	if bucket == "" {
		return "", "", fmt.Errorf("workspace %q: no bucket", u)
	}
	prefix = strings.Trim(prefix, "/")
	if prefix != "" {
		prefix += "/"
	}
	return bucket, prefix, nil
}

// Open takes the lock (waiting up to o.Wait) and downloads the workspace.
func Open(ctx context.Context, c Client, u string, o Options) (*Workspace, error) {
	bucket, prefix, err := ParseURL(u)
	if err != nil {
		return nil, err
	}
	if o.Lease <= 0 {
		o.Lease = 30 * time.Minute
	}
	if o.Poll <= 0 {
		o.Poll = 5 * time.Second
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Tick == nil {
		o.Tick = time.After
	}
	if o.Owner == "" {
		host, _ := os.Hostname()
		var rnd [4]byte
		_, _ = io.ReadFull(rand.Reader, rnd[:])
		o.Owner = fmt.Sprintf("%s/pid-%d/%s", host, os.Getpid(), hex.EncodeToString(rnd[:]))
	}
	w := &Workspace{c: c, bucket: bucket, prefix: prefix, url: u, opts: o, remote: map[string]string{}}
	if err := w.acquire(ctx); err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "seiri-ws-*") // 0700
	if err != nil {
		w.release(context.WithoutCancel(ctx))
		return nil, err
	}
	w.dir = dir
	if err := w.pull(ctx); err != nil {
		w.Close(context.WithoutCancel(ctx))
		return nil, fmt.Errorf("workspace %s: download: %w", u, err)
	}
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	go w.renewLoop(context.WithoutCancel(ctx))
	return w, nil
}

// LocalDir is the private folder the commands use as the workspace.
func (w *Workspace) LocalDir() string { return w.dir }

func (w *Workspace) lockKey() string { return w.prefix + LockName }

func (w *Workspace) acquire(ctx context.Context) error {
	// The wait is the sum of the pauses, not a difference of clock
	// readings: an injected fixed clock (SEIRI_NOW) must not wait forever.
	var waited time.Duration
	for {
		held, err := w.tryLock(ctx)
		if err != nil {
			return fmt.Errorf("workspace %s: lock: %w", w.url, err)
		}
		if held == nil {
			return nil
		}
		if waited >= w.opts.Wait {
			return &HeldError{URL: w.url, Holder: *held, Waited: waited}
		}
		d := min(w.opts.Poll, w.opts.Wait-waited)
		if err := w.opts.Sleep(ctx, d); err != nil {
			return err
		}
		waited += d
	}
}

// tryLock takes the lock, or returns the holder's lock.
func (w *Workspace) tryLock(ctx context.Context) (*Lock, error) {
	now := w.opts.Now().UTC()
	mine := Lock{Owner: w.opts.Owner, Acquired: now, Expires: now.Add(w.opts.Lease)}
	etag, err := w.putLock(ctx, mine, aws.String("*"), nil)
	if err == nil {
		w.lockETag, w.lock = etag, mine
		return nil, nil
	}
	if !precondition(err) {
		return nil, err
	}
	cur, curETag, err := w.readLock(ctx)
	if errors.Is(err, errNoLock) {
		return w.tryLock(ctx) // released meanwhile: try again
	}
	if err != nil {
		return nil, err
	}
	if now.Before(cur.Expires) {
		return &cur, nil
	}
	// Stale: take it over only if it is still the same stale object.
	etag, err = w.putLock(ctx, mine, nil, aws.String(curETag))
	if err == nil {
		w.lockETag, w.lock = etag, mine
		return nil, nil
	}
	if precondition(err) {
		// Someone else took it over first.
		if cur2, _, err2 := w.readLock(ctx); err2 == nil {
			return &cur2, nil
		}
		return &cur, nil
	}
	return nil, err
}

var errNoLock = errors.New("no lock object")

func (w *Workspace) readLock(ctx context.Context) (Lock, string, error) {
	out, err := w.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &w.bucket, Key: aws.String(w.lockKey())})
	if err != nil {
		if code(err) == "NoSuchKey" || code(err) == "NotFound" {
			return Lock{}, "", errNoLock
		}
		return Lock{}, "", err
	}
	defer out.Body.Close()
	b, err := io.ReadAll(io.LimitReader(out.Body, 1<<16))
	if err != nil {
		return Lock{}, "", err
	}
	var l Lock
	if err := json.Unmarshal(b, &l); err != nil {
		// An unreadable lock is treated as expired at once: it can only be
		// left by a broken writer, and If-Match keeps the takeover single.
		l = Lock{Owner: "unreadable lock object (" + err.Error() + ")"}
	}
	return l, aws.ToString(out.ETag), nil
}

func (w *Workspace) putLock(ctx context.Context, l Lock, ifNoneMatch, ifMatch *string) (string, error) {
	b, _ := json.Marshal(l)
	out, err := w.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &w.bucket, Key: aws.String(w.lockKey()), Body: bytes.NewReader(b),
		ContentType: aws.String("application/json"), IfNoneMatch: ifNoneMatch, IfMatch: ifMatch})
	if err != nil {
		return "", err
	}
	return aws.ToString(out.ETag), nil
}

func (w *Workspace) renewLoop(ctx context.Context) {
	defer close(w.done)
	for {
		select {
		case <-w.stop:
			return
		case <-w.opts.Tick(w.opts.Lease / 3):
		}
		w.mu.Lock()
		now := w.opts.Now().UTC()
		l := w.lock
		l.Expires = now.Add(w.opts.Lease)
		etag, err := w.putLock(ctx, l, nil, aws.String(w.lockETag))
		if err == nil {
			w.lockETag, w.lock = etag, l
		} else {
			w.renewErr = err
		}
		w.mu.Unlock()
	}
}

// pull downloads every object under the prefix but the lock.
func (w *Workspace) pull(ctx context.Context) error {
	p := s3.NewListObjectsV2Paginator(w.c, &s3.ListObjectsV2Input{Bucket: &w.bucket, Prefix: aws.String(w.prefix)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return err
		}
		for _, o := range page.Contents {
			key := aws.ToString(o.Key)
			rel := strings.TrimPrefix(key, w.prefix)
			if rel == LockName || rel == "" || strings.HasSuffix(rel, "/") {
				continue
			}
			local, err := w.localPath(rel)
			if err != nil {
				return err
			}
			sum, err := w.download(ctx, key, local)
			if err != nil {
				return fmt.Errorf("%s: %w", key, err)
			}
			w.remote[rel] = sum
		}
	}
	return nil
}

// download streams an object to a new file (0600; the usage store can be
// large, so it never sits in memory) and returns its MD5.
func (w *Workspace) download(ctx context.Context, key, local string) (string, error) {
	out, err := w.c.GetObject(ctx, &s3.GetObjectInput{Bucket: &w.bucket, Key: aws.String(key)})
	if err != nil {
		return "", err
	}
	defer out.Body.Close()
	if err := os.MkdirAll(filepath.Dir(local), workspace.DirMode); err != nil {
		return "", err
	}
	f, err := os.OpenFile(local, os.O_CREATE|os.O_EXCL|os.O_WRONLY, workspace.FileMode)
	if err != nil {
		return "", err
	}
	h := md5.New()
	if _, err := io.Copy(f, io.TeeReader(out.Body, h)); err != nil {
		f.Close()
		return "", err
	}
	if err := f.Close(); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// fileMD5 hashes a local file without reading it into memory.
func fileMD5(path string) (string, error) {
	f, err := workspace.OpenRead(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := md5.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

// localPath maps an object name to the local folder, refusing names that
// would leave it.
func (w *Workspace) localPath(rel string) (string, error) {
	clean := path.Clean(rel)
	if clean == "." || strings.HasPrefix(clean, "../") || clean == ".." || path.IsAbs(clean) {
		return "", fmt.Errorf("object %q: a name outside the workspace", rel)
	}
	return filepath.Join(w.dir, filepath.FromSlash(clean)), nil
}

// uploadLast names files uploaded last: the daily state marks a finished
// run, so it goes up after everything it describes.
var uploadLast = []string{"daily/state.json"}

// Push uploads the files that changed since the download and deletes the
// objects whose files are gone; the daily state goes last. The SQLite
// usage store must be closed before (its file is then consistent). It
// returns a one-line account of what it did.
func (w *Workspace) Push(ctx context.Context) (string, error) {
	w.mu.Lock()
	renewErr := w.renewErr
	w.mu.Unlock()
	if renewErr != nil {
		// Another runner may have taken over: uploading now could overwrite
		// its state.
		return "", fmt.Errorf("workspace %s: the lock lease could not be renewed (%v); nothing uploaded", w.url, renewErr)
	}
	local := map[string]string{}
	err := filepath.WalkDir(w.dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			return nil
		}
		rel, _ := filepath.Rel(w.dir, p)
		rel = filepath.ToSlash(rel)
		if rel == "lock" || strings.HasSuffix(rel, ".lock") || strings.HasSuffix(rel, "-shm") || strings.Contains(path.Base(rel), ".tmp-") {
			return nil // local lock files (the S3 lock guards the whole), SQLite's shared memory, temp files
		}
		sum, err := fileMD5(p)
		if err != nil {
			return err
		}
		local[rel] = sum
		return nil
	})
	if err != nil {
		return "", err
	}
	var changed []string
	for rel, sum := range local {
		if w.remote[rel] != sum {
			changed = append(changed, rel)
		}
	}
	sort.Slice(changed, func(i, j int) bool {
		li, lj := slicesIndex(uploadLast, changed[i]), slicesIndex(uploadLast, changed[j])
		if li != lj {
			return li < lj
		}
		return changed[i] < changed[j]
	})
	for _, rel := range changed {
		if err := w.upload(ctx, rel); err != nil {
			return "", fmt.Errorf("workspace %s: upload %s: %w", w.url, rel, err)
		}
		w.remote[rel] = local[rel]
	}
	var gone []string
	for rel := range w.remote {
		if _, ok := local[rel]; !ok {
			gone = append(gone, rel)
		}
	}
	sort.Strings(gone)
	for _, rel := range gone {
		if _, err := w.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &w.bucket, Key: aws.String(w.prefix + rel)}); err != nil {
			return "", fmt.Errorf("workspace %s: delete %s: %w", w.url, rel, err)
		}
		delete(w.remote, rel)
	}
	return fmt.Sprintf("%s: %d files uploaded, %d removed, %d unchanged", w.url, len(changed), len(gone), len(local)-len(changed)), nil
}

// upload streams one file (a seekable body: the SDK sends its length
// and checksum without buffering it).
func (w *Workspace) upload(ctx context.Context, rel string) error {
	f, err := workspace.OpenRead(filepath.Join(w.dir, filepath.FromSlash(rel)))
	if err != nil {
		return err
	}
	defer f.Close()
	_, err = w.c.PutObject(ctx, &s3.PutObjectInput{Bucket: &w.bucket, Key: aws.String(w.prefix + rel), Body: f})
	return err
}

// slicesIndex is the position of s in list, or -1 when absent (so the
// files of uploadLast sort after every other).
func slicesIndex(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}

// Close stops renewing, releases the lock (only while it is still ours:
// If-Match is not honoured by DeleteObject everywhere, so the owner is
// read back first) and removes the local folder.
func (w *Workspace) Close(ctx context.Context) error {
	if w.stop != nil {
		close(w.stop)
		<-w.done
		w.stop = nil
	}
	err := w.release(ctx)
	if w.dir != "" {
		os.RemoveAll(w.dir)
		w.dir = ""
	}
	return err
}

func (w *Workspace) release(ctx context.Context) error {
	if w.lockETag == "" {
		return nil
	}
	cur, etag, err := w.readLock(ctx)
	if err != nil {
		if errors.Is(err, errNoLock) {
			return nil
		}
		return err
	}
	if cur.Owner != w.opts.Owner || etag != w.lockETag {
		return nil // taken over after our lease expired: not ours to remove
	}
	_, err = w.c.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: &w.bucket, Key: aws.String(w.lockKey())})
	w.lockETag = ""
	return err
}

func precondition(err error) bool {
	c := code(err)
	return c == "PreconditionFailed" || c == "ConditionalRequestConflict"
}

func code(err error) string {
	var ae smithy.APIError
	if errors.As(err, &ae) {
		return ae.ErrorCode()
	}
	return ""
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
