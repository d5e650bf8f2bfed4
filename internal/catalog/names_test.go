package catalog

import (
	"bytes"
	"compress/gzip"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// sameNames fails unless n holds exactly the actions of c.
func sameNames(t testing.TB, c *Catalog, n *ActionNames) {
	t.Helper()
	if n.Len() != len(c.Actions()) {
		t.Fatalf("ActionNames has %d actions, the catalog %d", n.Len(), len(c.Actions()))
	}
	for _, a := range c.Actions() {
		if !n.ActionExists(a.FullName()) || !n.ActionExists(strings.ToUpper(a.FullName())) {
			t.Fatalf("ActionNames lacks %s", a.FullName())
		}
	}
	if n.Source() != c.Source() {
		t.Fatalf("ActionNames source %v, catalog %v", n.Source(), c.Source())
	}
}

func TestActionNamesMatchDecode(t *testing.T) {
	n := EmbeddedActionNames()
	sameNames(t, Embedded(), n)
	for _, name := range []string{"s3:GetObjectt", "s3", "", "getobject", "nosuchservice:GetObject"} {
		if n.ActionExists(name) || Embedded().ActionExists(name) {
			t.Errorf("ActionExists(%q) = true", name)
		}
	}
	var buf bytes.Buffer
	tiny := tinyCatalog()
	if err := tiny.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	tn, err := DecodeActionNames(&buf)
	if err != nil {
		t.Fatal(err)
	}
	sameNames(t, tiny, tn)
}

// Two entries for one prefix (in another case) and a non-ASCII name: the
// set lower-cases as New does.
func TestActionNamesMergedAndNonASCII(t *testing.T) {
	c := New(Source{Name: "t"}, []*Service{
		{Prefix: "svc", Actions: []*Action{{Name: "Get"}, {Name: "Ünïcode"}}},
		{Prefix: "SVC", Actions: []*Action{{Name: "Put"}, {Name: "get"}}},
	})
	var buf bytes.Buffer
	if err := c.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	n, err := DecodeActionNames(&buf)
	if err != nil {
		t.Fatal(err)
	}
	sameNames(t, c, n)
	if !n.ActionExists("svc:üNÏCODE") || !n.ActionExists("Svc:PUT") {
		t.Errorf("case-insensitive lookups failed")
	}
}

// EmbeddedSource reads the source file generated with the catalog; it says
// what the decoded catalog says (regenerate both with go generate).
func TestEmbeddedSourceFile(t *testing.T) {
	if got, want := EmbeddedSource(), Embedded().Source(); got != want || got.Name == "" {
		t.Errorf("EmbeddedSource() = %v, want %v", got, want)
	}
}

// LoadActionNames reads the cache as Load does: missing gives the embedded
// names, damaged gives them with ErrBadCache.
func TestLoadActionNames(t *testing.T) {
	dir := t.TempDir()
	n, err := LoadActionNames(dir)
	if err != nil || n.Len() != len(Embedded().Actions()) {
		t.Fatalf("LoadActionNames(empty dir) = %d names, %v: want the embedded ones", n.Len(), err)
	}
	if n, err = LoadActionNames(""); err != nil || n.Len() != len(Embedded().Actions()) {
		t.Fatalf("LoadActionNames(\"\") = %d names, %v", n.Len(), err)
	}
	tiny := tinyCatalog()
	if _, err := WriteCache(dir, tiny); err != nil {
		t.Fatal(err)
	}
	if n, err = LoadActionNames(dir); err != nil {
		t.Fatal(err)
	}
	sameNames(t, tiny, n)
	if err := os.WriteFile(filepath.Join(dir, CacheFile), []byte("garbage"), 0o600); err != nil {
		t.Fatal(err)
	}
	n, err = LoadActionNames(dir)
	_, cerr := Load(dir)
	if !errors.Is(err, ErrBadCache) || n.Len() != len(Embedded().Actions()) || cerr == nil || err.Error() != cerr.Error() {
		t.Errorf("damaged cache: %d names, %v; Load said %v", n.Len(), err, cerr)
	}
}

// TestEmbeddedActionNamesFile: the names file generated beside the
// embedded catalog (what a scan loads) holds exactly the catalog's action
// names, as walking the catalog finds them, and its source.
func TestEmbeddedActionNamesFile(t *testing.T) {
	walked, err := actionNamesBytes(embedded)
	if err != nil {
		t.Fatal(err)
	}
	file := EmbeddedActionNames()
	if file.Source() != walked.Source() || file.Source().Name == "" {
		t.Errorf("source %v, the catalog's %v", file.Source(), walked.Source())
	}
	if diff := cmp.Diff(walked.names, file.names); diff != "" {
		t.Errorf("%s and the catalog disagree (-catalog +file):\n%s", ActionNamesFile, diff)
	}
	for _, a := range []string{"s3:GetObject", "IAM:passrole", "sts:AssumeRole"} {
		if !file.ActionExists(a) {
			t.Errorf("ActionExists(%q) = false", a)
		}
	}
	if file.ActionExists("s3:NoSuchAction") {
		t.Error("ActionExists(s3:NoSuchAction) = true")
	}
}

// TestDecodeActionNamesFileErrors: damaged names files are refused with
// what is wrong.
func TestDecodeActionNamesFileErrors(t *testing.T) {
	gz := func(s string) []byte {
		var b bytes.Buffer
		zw := gzip.NewWriter(&b)
		io.WriteString(zw, s)
		zw.Close()
		return b.Bytes()
	}
	for _, tt := range []struct {
		in   []byte
		want string
	}{
		{[]byte("garbage"), "decode catalog: inflate: unexpected end of input: gzip header at byte 7"},
		{gz(""), "no action names"},
		{gz("s3:getobject\n\ns3:putobject"), "empty line after 1 names"},
		{gz("s3:getobject\n"), "empty line after 1 names"},
	} {
		_, err := decodeActionNamesFile(tt.in)
		if err == nil || err.Error() != tt.want {
			t.Errorf("decodeActionNamesFile(%q) = %v, want %q", tt.in, err, tt.want)
		}
	}
}
