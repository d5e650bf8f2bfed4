package org

import (
	"encoding/json"
	"strings"
	"testing"
)

// FuzzSpec: any bytes given as org.yaml give a spec or an error with a
// place, never a panic; a spec that validates also plans against the demo
// organization without panicking.
func FuzzSpec(f *testing.F) {
	f.Add([]byte(baseSpec))
	sp, cm, _ := Template("aws-multi-account")
	f.Add(Marshal(sp, cm))
	f.Add([]byte("version: 1\nroot:\n  ous:\n    - name: A\n      ous: [{name: B, accounts: [{name: n, email: n@x.io}]}]\n"))
	f.Add([]byte("version: 1\nroot: {policies: []}\n"))
	f.Add([]byte("version: 1\nroot:\n  accounts: [{id: 111111111111}]\npolicies: [{name: x, content: '{\"Statement\":[]}', params: {a: [1, {b: c}]}}]\n"))
	f.Add([]byte("&a [*a]"))
	f.Add([]byte("version: !!binary AAAA\n"))
	o := demoOrg(f)
	f.Fuzz(func(t *testing.T, data []byte) {
		d, err := Parse("org.yaml", data)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "org.yaml:") {
				t.Fatalf("error without the file name: %v", err)
			}
			return
		}
		s, ps := Compile(d, Options{ReadFile: func(string) ([]byte, error) { return []byte(allowAll), nil }})
		for _, p := range ps {
			if p.File != "org.yaml" || p.Message == "" {
				t.Fatalf("problem without place or message: %+v", p)
			}
		}
		if len(ps) > 0 {
			return
		}
		_, _ = NewPlan(d, s, o, now)
		// What validates survives writing and reading back.
		back, err := Parse("org.yaml", Marshal(&d.Spec, Comments{}))
		if err != nil {
			t.Fatalf("re-parse of written spec: %v\n%s", err, Marshal(&d.Spec, Comments{}))
		}
		if _, ps := Compile(back, Options{ReadFile: func(string) ([]byte, error) { return []byte(allowAll), nil }}); len(ps) > 0 {
			t.Fatalf("written spec no longer validates: %v", ps)
		}
	})
}

// FuzzPlanJSON: a saved plan file is outside input too.
func FuzzPlanJSON(f *testing.F) {
	sp, _, _ := Template("aws-multi-account")
	sp.Root.Accounts = []Account{{Name: "n", Email: "n@acme.example"}}
	d, _ := Parse("org.yaml", Marshal(sp, Comments{}))
	o := demoOrg(f)
	sp.Root.Accounts = append(sp.Root.Accounts, Account{ID: o.ManagementAccount})
	s, _ := Compile(d, Options{})
	if p, err := NewPlan(d, s, o, now); err == nil {
		data, _ := json.Marshal(p)
		f.Add(data)
	}
	f.Add([]byte(`{"version":1,"changes":[{"kind":"org.move-account","params":{"accountId":"1"}}]}`))
	f.Add([]byte(`{"version":1,"changes":[null]}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		var p Plan
		if err := json.Unmarshal(data, &p); err != nil {
			return
		}
		for _, c := range p.Changes {
			_ = c.Describe()
			_, _ = MarshalChange(c)
		}
	})
}
