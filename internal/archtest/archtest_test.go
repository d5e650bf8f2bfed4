package archtest

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goList runs `go list -deps`-style listing of every package of the module
// (without tests: a test may import what its package may not).
func goList(t *testing.T) []Package {
	t.Helper()
	gobin := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := exec.LookPath(gobin); err != nil {
		if gobin, err = exec.LookPath("go"); err != nil {
			t.Fatalf("the go command is needed to list imports: %v", err)
		}
	}
	touchSources(t)
	cmd := exec.Command(gobin, "list", "-json=ImportPath,Imports,Deps", Module+"/...")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, stderr.String())
	}
	var pkgs []Package
	dec := json.NewDecoder(bytes.NewReader(out))
	for {
		var p Package
		if err := dec.Decode(&p); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatalf("go list output: %v", err)
		}
		pkgs = append(pkgs, p)
	}
	if len(pkgs) < 20 {
		t.Fatalf("go list found only %d packages", len(pkgs))
	}
	return pkgs
}

// TestImportRules fails on a forbidden import anywhere in the module.
func TestImportRules(t *testing.T) {
	v, stale := Check(goList(t), Allowed)
	for _, x := range v {
		t.Errorf("forbidden import: %s (see docs/architecture.md)", x)
	}
	for _, a := range stale {
		t.Errorf("allowance no longer needed, remove it from Allowed: %s %s -> %s", a.Rule, a.From, a.To)
	}
}

// The rules catch what they should, on a made-up module.
func TestCheckFindsViolations(t *testing.T) {
	p := func(path string, imports []string, deps ...string) Package {
		for i := range imports {
			if !strings.Contains(imports[i], ".com/") {
				imports[i] = internal + imports[i]
			}
		}
		for i := range deps {
			if !strings.Contains(deps[i], ".com/") {
				deps[i] = internal + deps[i]
			}
		}
		return Package{ImportPath: internal + path, Imports: imports, Deps: append(deps, imports...)}
	}
	pkgs := []Package{
		p("keys", []string{"plan", "snapshot"}, "workspace"),
		p("groups", []string{"apply/iamexec"}),
		p("roles", []string{"org"}, "github.com/aws/aws-sdk-go-v2/service/iam"),
		p("usage", []string{"leastpriv"}),
		p("plan", []string{"diag", "workspace"}),
		p("policy", []string{"catalog", "snapshot"}),
		p("report", []string{"demo"}),
		p("cli", []string{"demo", "apply", "keys"}),
		p("cmd/demo", []string{"demo"}),
		p("cmd/keys", []string{"demo"}),
		p("apply/orgexec", []string{"org", "github.com/aws/aws-sdk-go-v2/service/organizations"}),
		p("trail", []string{"usage"}, "github.com/aws/aws-sdk-go-v2/service/s3"),
		p("trail/source", []string{"trail", "github.com/aws/aws-sdk-go-v2/service/s3"}),
		p("detect", []string{"trail", "finding"}),
		p("risk", []string{"trail/source"}),
		p("workspace", []string{"trail/gen"}),
		p("demo", []string{"trail/gen"}),
		p("cmd/demo", []string{"demo"}, "trail/gen"),
	}
	allowed := []Allowance{{Rule: "demo", From: "report", To: "demo"}, {Rule: "model", From: "snapshot", To: "keys"}}
	v, stale := Check(pkgs, allowed)
	var got []string
	for _, x := range v {
		got = append(got, x.String())
	}
	want := []string{
		"analysis: groups imports apply/iamexec",
		"analysis: risk imports trail/source",
		"analysis: roles imports github.com/aws/aws-sdk-go-v2/service/iam",
		"demo: cmd/keys imports demo",
		"generator: workspace imports trail/gen",
		"model: usage imports leastpriv",
		"policy: policy imports snapshot",
		"scanner: trail imports github.com/aws/aws-sdk-go-v2/service/s3",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
	if len(stale) != 1 || stale[0].From != "snapshot" {
		t.Errorf("stale allowances: %+v", stale)
	}
}

// touchSources stats every Go file of the module: go test caches a result by
// the files the test itself looked at, and go list reads them in another
// process, so without this a changed import would leave a stale "ok".
func touchSources(t *testing.T) {
	t.Helper()
	err := filepath.WalkDir(filepath.Join("..", ".."), func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata") && p != filepath.Join("..", "..") {
			return filepath.SkipDir
		}
		if !d.IsDir() && (strings.HasSuffix(p, ".go") || d.Name() == "go.mod") {
			_, err = os.Stat(p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
