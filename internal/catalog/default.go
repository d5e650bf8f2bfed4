package catalog

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sync"

	"github.com/seiri-dev/seiri/internal/workspace"
)

// embedded is the generated catalog (go generate ./internal/catalog).
//
//go:embed data/catalog.bin.gz
var embedded []byte

var (
	embeddedOnce sync.Once
	embeddedCat  *Catalog
)

// Embedded returns the catalog built into the binary. It is decoded once, on
// first use (a few milliseconds).
func Embedded() *Catalog {
	embeddedOnce.Do(func() {
		c, err := decodeBytes(embedded)
		if err != nil {
			// The embedded file is generated and tested with this code;
			// failing here is a build defect, not bad input.
			panic(fmt.Sprintf("catalog: embedded data: %v", err))
		}
		embeddedCat = c
	})
	return embeddedCat
}

// Default is the embedded catalog. There is no process-wide catalog in
// force: the command layer's factory loads the workspace's catalog once
// (Load) and passes it down to what needs it; Default serves tests and
// callers that were handed none.
func Default() *Catalog { return Embedded() }

// CacheFile is where `seiri catalog update` stores the refreshed catalog,
// relative to the workspace cache folder.
const CacheFile = "catalog/catalog.bin.gz"

// ErrBadCache marks a cached catalog that could not be read; Load then falls
// back to the embedded catalog.
var ErrBadCache = errors.New("cached catalog unusable")

// Load returns the catalog cached in cacheDir (the workspace's cache folder,
// see CacheFile); without a cached copy it returns the embedded catalog. It
// changes nothing global: the caller holds the result and passes it on.
// When the cached copy exists but cannot be read, Load returns the embedded catalog together with an error wrapping
// ErrBadCache: the catalog returned is always usable, the error is for a
// warning.
func Load(cacheDir string) (*Catalog, error) {
	return loadCached(cacheDir, decodeBytes, Embedded)
}

// loadCached decodes the catalog cached in cacheDir, or gives the embedded
// one (see Load): Load and LoadActionNames read the same file the same way.
func loadCached[T any](cacheDir string, decode func([]byte) (T, error), embedded func() T) (T, error) {
	if cacheDir == "" {
		return embedded(), nil
	}
	path := filepath.Join(cacheDir, filepath.FromSlash(CacheFile))
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		return embedded(), nil
	}
	if err != nil {
		return embedded(), fmt.Errorf("%w: %v", ErrBadCache, err)
	}
	c, err := decode(b)
	if err != nil {
		return embedded(), fmt.Errorf("%w: %s: %v (run `seiri catalog update` again)", ErrBadCache, path, err)
	}
	return c, nil
}

// WriteCache stores c in cacheDir (see CacheFile), atomically and mode 0600,
// so that Load picks it up.
func WriteCache(cacheDir string, c *Catalog) (string, error) {
	var buf bytes.Buffer
	if err := c.Encode(&buf); err != nil {
		return "", err
	}
	path := filepath.Join(cacheDir, filepath.FromSlash(CacheFile))
	if err := workspace.WriteFile(path, buf.Bytes()); err != nil {
		return "", err
	}
	return path, nil
}
