package workspace

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// ErrLockHeld is returned by TryLock when another process holds the lock.
var ErrLockHeld = errors.New("held by another process")

// OwnerFile is the file inside a folder being written (a pending snapshot)
// that names its writer (pid, host) and carries its lock.
const OwnerFile = ".owner"

// Claim marks a folder as being written by this process: the owner file
// holds "pid host start" and stays locked until Release (or the process
// dies, when the kernel drops the lock).
type Claim struct {
	f *os.File
}

// ClaimDir writes dir/.owner and locks it.
func ClaimDir(dir string) (*Claim, error) {
	f, err := openNoFollow(filepath.Join(dir, OwnerFile), os.O_CREATE|os.O_RDWR|os.O_TRUNC, FileMode)
	if err != nil {
		return nil, err
	}
	if err := TryLock(f); err != nil {
		f.Close()
		return nil, fmt.Errorf("claim %s: %w", dir, err)
	}
	host, _ := os.Hostname()
	fmt.Fprintf(f, "%d %s %s\n", os.Getpid(), host, time.Now().UTC().Format(time.RFC3339))
	return &Claim{f: f}, nil
}

// Release drops the claim (the owner file stays with the folder).
func (c *Claim) Release() {
	if c == nil || c.f == nil {
		return
	}
	Unlock(c.f)
	c.f.Close()
	c.f = nil
}

// LegacyStaleAge is how old a folder without an owner file (written by a
// seiri before owner files) must be before it is taken as abandoned.
const LegacyStaleAge = 24 * time.Hour

// Stale is the outcome of RemoveStale for one folder.
type Stale struct {
	Path    string
	Removed bool
	Reason  string // why it was removed or kept
}

// RemoveStale removes the folders under parent whose name starts with
// prefix and that no live process owns: their owner file names this host
// and its lock is free (the writer died, e.g. kill -9). A folder owned on
// another host is kept (its lock cannot be checked from here), and so is one
// without an owner file younger than LegacyStaleAge.
func RemoveStale(parent, prefix string, now time.Time) ([]Stale, error) {
	des, err := os.ReadDir(parent)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	host, _ := os.Hostname()
	var out []Stale
	for _, de := range des {
		if !strings.HasPrefix(de.Name(), prefix) || !de.IsDir() || de.Type()&fs.ModeSymlink != 0 {
			continue
		}
		dir := filepath.Join(parent, de.Name())
		st := Stale{Path: dir}
		f, err := openNoFollow(filepath.Join(dir, OwnerFile), os.O_RDWR, 0)
		switch {
		case errors.Is(err, fs.ErrNotExist):
			fi, err := de.Info()
			if err != nil || now.Sub(fi.ModTime()) < LegacyStaleAge {
				st.Reason = "no owner recorded and younger than " + LegacyStaleAge.String()
				out = append(out, st)
				continue
			}
			st.Reason = "no owner recorded, last written " + fi.ModTime().UTC().Format(time.RFC3339)
		case err != nil:
			st.Reason = "owner unreadable: " + err.Error()
			out = append(out, st)
			continue
		default:
			b := make([]byte, 512)
			n, _ := f.ReadAt(b, 0)
			fields := strings.Fields(string(b[:n]))
			pid, owner := "", ""
			if len(fields) >= 2 {
				pid, owner = fields[0], fields[1]
			}
			if _, perr := strconv.Atoi(pid); perr != nil || owner != host {
				f.Close()
				st.Reason = fmt.Sprintf("owned by process %s on host %q, not this host: left alone", pid, owner)
				out = append(out, st)
				continue
			}
			if err := TryLock(f); err != nil {
				f.Close()
				st.Reason = fmt.Sprintf("process %s on this host is still writing it", pid)
				out = append(out, st)
				continue
			}
			Unlock(f)
			f.Close()
			st.Reason = fmt.Sprintf("its writer (process %s on this host) is gone", pid)
		}
		if err := os.RemoveAll(dir); err != nil {
			st.Reason += "; remove failed: " + err.Error()
		} else {
			st.Removed = true
		}
		out = append(out, st)
	}
	return out, nil
}
