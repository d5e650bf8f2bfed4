package snapshot

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/gzip"

	"github.com/seiri-dev/seiri/internal/workspace"

	"github.com/seiri-dev/seiri/internal/textenc"
)

const (
	manifestFile = "manifest.json"
	orgFile      = "organization.json.gz"
	accountsDir  = "accounts"
	// Snapshots being written live under a name starting with this prefix and
	// are renamed to their timestamp only once complete.
	pendingPrefix = ".pending-"
	// Latest is the reference that resolves to the newest complete snapshot.
	Latest = "latest"
	// TimeLayout names snapshot folders (UTC, sortable).
	TimeLayout = "20060102T150405Z"
)

// Writer writes one snapshot into a pending folder; Commit makes it visible.
// WriteAccount may be called from several goroutines.
type Writer struct {
	root    string // <workspace>/snapshots
	name    string // final folder name
	pending string
	mu      sync.Mutex
	done    bool
	claim   *workspace.Claim // owner file (pid, host) locked while writing
}

// RemoveStalePending removes the pending folders under snapshotsDir that no
// live process is writing (left by a collect killed with kill -9): see
// workspace.RemoveStale for how an owner is checked.
func RemoveStalePending(snapshotsDir string, now time.Time) ([]workspace.Stale, error) {
	return workspace.RemoveStale(snapshotsDir, pendingPrefix, now)
}

// Create starts a snapshot named after start (UTC) under snapshotsDir.
func Create(snapshotsDir string, start time.Time) (*Writer, error) {
	if err := os.MkdirAll(snapshotsDir, workspace.DirMode); err != nil {
		return nil, fmt.Errorf("create %q: %w", snapshotsDir, err)
	}
	name := start.UTC().Format(TimeLayout)
	// Two snapshots in the same second get a suffix.
	for i := 1; ; i++ {
		if _, err := os.Stat(filepath.Join(snapshotsDir, name)); errors.Is(err, os.ErrNotExist) {
			break
		}
		name = fmt.Sprintf("%s-%d", start.UTC().Format(TimeLayout), i)
	}
	pending, err := os.MkdirTemp(snapshotsDir, pendingPrefix+name+"-")
	if err != nil {
		return nil, fmt.Errorf("create pending snapshot: %w", err)
	}
	if err := os.Chmod(pending, workspace.DirMode); err != nil {
		return nil, err
	}
	claim, err := workspace.ClaimDir(pending)
	if err != nil {
		os.RemoveAll(pending)
		return nil, fmt.Errorf("create pending snapshot: %w", err)
	}
	if err := os.Mkdir(filepath.Join(pending, accountsDir), workspace.DirMode); err != nil {
		claim.Release()
		return nil, err
	}
	return &Writer{root: snapshotsDir, name: name, pending: pending, claim: claim}, nil
}

// WriteAccount stores one account and returns its file name relative to the
// snapshot folder.
func (w *Writer) WriteAccount(a *Account) (string, error) {
	if a.AccountID == "" {
		return "", errors.New("snapshot: account without id")
	}
	rel := filepath.Join(accountsDir, a.AccountID+".json.gz")
	return rel, writeGzipJSON(filepath.Join(w.pending, rel), a)
}

// WriteOrganization stores the organization.
func (w *Writer) WriteOrganization(o *Organization) error {
	return writeGzipJSON(filepath.Join(w.pending, orgFile), o)
}

// Commit writes the manifest (SchemaVersion and Complete set here) and renames
// the folder to its final name. It returns the final path.
func (w *Writer) Commit(m *Manifest) (string, error) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.done {
		return "", errors.New("snapshot: already committed or aborted")
	}
	m.SchemaVersion = SchemaVersion
	m.Complete = true
	if _, err := os.Stat(filepath.Join(w.pending, orgFile)); err == nil {
		m.Organization = true
	}
	data, err := json.MarshalIndent(m, "", "  ")
	if err != nil {
		return "", err
	}
	if err := workspace.WriteFile(filepath.Join(w.pending, manifestFile), append(data, '\n')); err != nil {
		return "", err
	}
	final := filepath.Join(w.root, w.name)
	w.claim.Release() // Windows cannot rename a folder holding an open file
	os.Remove(filepath.Join(w.pending, workspace.OwnerFile))
	if err := os.Rename(w.pending, final); err != nil {
		return "", fmt.Errorf("commit snapshot: %w", err)
	}
	w.done = true
	return final, nil
}

// Abort removes the pending folder. Safe to call after Commit (no-op).
func (w *Writer) Abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	if !w.done {
		w.claim.Release()
		os.RemoveAll(w.pending)
		w.done = true
	}
}

func writeGzipJSON(path string, v any) error {
	var buf bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	enc := json.NewEncoder(zw)
	// Policy documents keep their bytes: no \u0026 for &, no \u003c for <.
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return fmt.Errorf("encode %q: %w", path, err)
	}
	if err := zw.Close(); err != nil {
		return err
	}
	return workspace.WriteFile(path, buf.Bytes())
}

// Snapshot is a loaded snapshot.
type Snapshot struct {
	Dir          string
	Manifest     Manifest
	Accounts     []*Account // sorted by account id; failed accounts are absent
	Organization *Organization
}

// Account returns the account with the given id, or nil.
func (s *Snapshot) Account(id string) *Account {
	for _, a := range s.Accounts {
		if a.AccountID == id {
			return a
		}
	}
	return nil
}

// Resolve turns a reference (a path, a folder name under snapshotsDir, or
// "latest"/"") into the folder of a complete snapshot.
func Resolve(snapshotsDir, ref string) (string, error) {
	if ref == "" || ref == Latest {
		names, damaged, err := ListChecked(snapshotsDir)
		if err != nil {
			return "", err
		}
		// The newest snapshot decides: a damaged one is an error naming it,
		// never a silent fall back to an older one.
		if d := newestDamaged(damaged, names); d != nil {
			alt := ""
			if len(names) > 0 {
				alt = fmt.Sprintf(" (the newest readable one is %s)", names[len(names)-1])
			}
			return "", fmt.Errorf("the newest snapshot %s is damaged: %v; repair or remove it, or pass --snapshot NAME to use another%s", d.Name, d.Err, alt)
		}
		if len(names) == 0 {
			return "", fmt.Errorf("no complete snapshot in %q: run `seiri collect`, `seiri snapshot import` or `seiri demo` first", snapshotsDir)
		}
		return filepath.Join(snapshotsDir, names[len(names)-1]), nil
	}
	if fi, err := os.Stat(ref); err == nil && fi.IsDir() {
		return ref, nil
	}
	p := filepath.Join(snapshotsDir, ref)
	if fi, err := os.Stat(p); err == nil && fi.IsDir() {
		return p, nil
	}
	return "", fmt.Errorf("snapshot %q not found (neither a folder nor a snapshot in %q)", ref, snapshotsDir)
}

// Damaged is a snapshot folder whose manifest cannot be read.
type Damaged struct {
	Name string
	Err  error
}

// ListChecked returns the names of complete snapshots under snapshotsDir,
// oldest first, and the snapshot folders (named like a snapshot) whose
// manifest is missing, unreadable or of another schema. Pending and hidden
// folders are skipped; so is a manifest of an incomplete snapshot.
func ListChecked(snapshotsDir string) ([]string, []Damaged, error) {
	ents, err := os.ReadDir(snapshotsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil, nil
	}
	if err != nil {
		return nil, nil, err
	}
	var names []string
	var damaged []Damaged
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		m, err := ReadManifest(filepath.Join(snapshotsDir, e.Name()))
		if err != nil {
			if snapshotName(e.Name()) {
				damaged = append(damaged, Damaged{Name: e.Name(), Err: err})
			}
			continue
		}
		if !m.Complete {
			continue
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	sort.Slice(damaged, func(i, j int) bool { return damaged[i].Name < damaged[j].Name })
	return names, damaged, nil
}

// snapshotName reports whether name is a snapshot folder's name (a UTC time
// in TimeLayout, maybe with a -N suffix).
func snapshotName(name string) bool {
	if len(name) < len(TimeLayout) {
		return false
	}
	_, err := time.Parse(TimeLayout, name[:len(TimeLayout)])
	return err == nil
}

// newestDamaged returns the damaged snapshot newer than every complete one,
// or nil.
func newestDamaged(damaged []Damaged, names []string) *Damaged {
	if len(damaged) == 0 {
		return nil
	}
	d := damaged[len(damaged)-1]
	if len(names) > 0 && names[len(names)-1] > d.Name {
		return nil
	}
	return &d
}

// List returns the names of complete snapshots under snapshotsDir, oldest
// first. Pending folders and folders without a complete manifest are ignored
// (ListChecked also returns the damaged ones).
func List(snapshotsDir string) ([]string, error) {
	ents, err := os.ReadDir(snapshotsDir)
	if errors.Is(err, os.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range ents {
		if !e.IsDir() || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		m, err := ReadManifest(filepath.Join(snapshotsDir, e.Name()))
		if err != nil || !m.Complete {
			continue
		}
		names = append(names, e.Name())
	}
	sort.Strings(names)
	return names, nil
}

// ReadManifest reads and checks the manifest of the snapshot in dir.
func ReadManifest(dir string) (*Manifest, error) {
	p := filepath.Join(dir, manifestFile)
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("open snapshot %q: %w", dir, err)
	}
	var m Manifest
	if err := json.Unmarshal(data, &m); err != nil {
		return nil, fmt.Errorf("open snapshot %q: %s: %s", dir, manifestFile, jsonErr(data, err))
	}
	if m.SchemaVersion != SchemaVersion {
		return nil, fmt.Errorf("open snapshot %q: %s: schemaVersion %d is not supported by this seiri (it reads %d)", dir, manifestFile, m.SchemaVersion, SchemaVersion)
	}
	return &m, nil
}

// Open loads the complete snapshot in dir.
func Open(dir string) (*Snapshot, error) {
	m, err := ReadManifest(dir)
	if err != nil {
		return nil, err
	}
	if !m.Complete {
		return nil, fmt.Errorf("open snapshot %q: %s: snapshot is incomplete (interrupted collect?)", dir, manifestFile)
	}
	s := &Snapshot{Dir: dir, Manifest: *m}
	for _, st := range m.Accounts {
		if st.File == "" {
			continue
		}
		var a Account
		if err := readGzipJSON(filepath.Join(dir, st.File), &a); err != nil {
			return nil, fmt.Errorf("open snapshot %q: %w", dir, err)
		}
		if a.AccountID != st.AccountID {
			return nil, fmt.Errorf("open snapshot %q: %s: accountId %q does not match manifest entry %q", dir, st.File, a.AccountID, st.AccountID)
		}
		s.Accounts = append(s.Accounts, &a)
	}
	sort.Slice(s.Accounts, func(i, j int) bool { return s.Accounts[i].AccountID < s.Accounts[j].AccountID })
	if m.Organization {
		var o Organization
		if err := readGzipJSON(filepath.Join(dir, orgFile), &o); err != nil {
			return nil, fmt.Errorf("open snapshot %q: %w", dir, err)
		}
		s.Organization = &o
	}
	return s, nil
}

// Load resolves ref under snapshotsDir and opens it.
func Load(snapshotsDir, ref string) (*Snapshot, error) {
	dir, err := Resolve(snapshotsDir, ref)
	if err != nil {
		return nil, err
	}
	return Open(dir)
}

func readGzipJSON(path string, v any) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	data, err := io.ReadAll(zr)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	if err := json.Unmarshal(data, v); err != nil {
		return fmt.Errorf("%s: %s", path, jsonErr(data, err))
	}
	return nil
}

// jsonErr adds the line and column of a JSON syntax or type error.
func jsonErr(data []byte, err error) string { return textenc.JSONError(data, err) }
