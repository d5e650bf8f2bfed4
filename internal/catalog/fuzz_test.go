package catalog

import (
	"github.com/seiri-dev/seiri/internal/policy/wildcard"

	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

func FuzzCompiledGlob(f *testing.F) {
	for _, s := range [][2]string{{"s3:get*", "s3:getobject"}, {"*a*b?", "xxaxbz"}, {"**", ""}, {"?*?", "ab"}, {"a*", "a*"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, pattern, s string) {
		if len(pattern) > 64 || len(s) > 64 || !utf8.ValidString(pattern) || !utf8.ValidString(s) {
			return
		}
		// The reference works on runes; compare on ASCII-only input, where
		// bytes and runes agree.
		for _, r := range pattern + s {
			if r >= utf8.RuneSelf {
				return
			}
		}
		got := wildcard.Match(pattern, s)
		want := wildcardRegexp(pattern).MatchString(s)
		if got != want {
			t.Fatalf("wildcard.Match(%q, %q) = %v, reference %v", pattern, s, got, want)
		}
		g := compileGlob(pattern)
		if got := g.match(s); got != want {
			t.Fatalf("glob(%q).match(%q) = %v, reference %v", pattern, s, got, want)
		}
	})
}

func FuzzExpand(f *testing.F) {
	for _, p := range []string{"s3:Get*", "*:Describe*", "iam:*AccessKey*", "*", "s3*", "?3:*", "*:*:*", "S3:GETOBJECT"} {
		f.Add(p)
	}
	c := Embedded()
	f.Fuzz(func(t *testing.T, pattern string) {
		if len(pattern) > 80 {
			return
		}
		got := c.Expand(pattern)
		lp := strings.ToLower(pattern)
		n := 0
		for _, a := range c.Actions() {
			if wildcard.Match(lp, a.lower) {
				n++
			}
		}
		if len(got) != n {
			t.Fatalf("Expand(%q) = %d actions, full scan %d", pattern, len(got), n)
		}
		for _, a := range got {
			if !wildcard.Match(lp, a.lower) {
				t.Fatalf("Expand(%q) returned %s", pattern, a.FullName())
			}
		}
	})
}

func FuzzMatchARN(f *testing.F) {
	for _, s := range []string{"arn:aws:s3:::bucket/key", "arn:aws:s3:::*", "*", "arn:aws:iam::1:user/a/b", "arn:${x}:s3:::${y", "arn:aws:s3:::b?/*k"} {
		f.Add(s, "arn:${Partition}:s3:::${BucketName}/${ObjectName}")
	}
	f.Add("arn:aws:braket:::device/a/b/c", "arn:${Partition}:braket:*:*:device/${DeviceType}/${Provider}/${DeviceId}")
	f.Fuzz(func(t *testing.T, arn, format string) {
		if len(arn) > 300 || len(format) > 200 {
			return
		}
		rt := &ResourceType{Name: "x", ARNFormats: []string{format}}
		got := rt.MatchARN(arn)
		// "*" can be any ARN, so it matches every format that some string
		// matches; a format filled with plain values matches itself.
		if !strings.ContainsAny(format, "\x00") && !rt.MatchARN("*") {
			t.Fatalf("MatchARN(*) false for format %q", format)
		}
		if !strings.Contains(format, "${") && !strings.ContainsAny(format, "*?") && !strings.ContainsAny(arn, "*?$") {
			// Without placeholders or wildcards the match is equality.
			if got != (arn == format) {
				t.Fatalf("MatchARN(%q) on literal format %q = %v", arn, format, got)
			}
		}
	})
}

func FuzzParseServiceReference(f *testing.F) {
	f.Add([]byte(s3Reference))
	f.Add([]byte(iamReference))
	f.Add([]byte(`{"Name":"x","Actions":[{"Name":"A","Resources":[{"Name":"r"}]}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := ParseServiceReference(data, Embedded())
		if err != nil {
			return
		}
		// Whatever parses must build, encode and decode.
		c := New(Source{Name: "fuzz"}, []*Service{s})
		var buf bytes.Buffer
		if err := c.Encode(&buf); err != nil {
			t.Fatalf("encode: %v", err)
		}
		back, err := Decode(&buf)
		if err != nil {
			t.Fatalf("decode: %v", err)
		}
		if len(back.Actions()) != len(c.Actions()) {
			t.Fatalf("round trip: %d actions, want %d", len(back.Actions()), len(c.Actions()))
		}
		for _, a := range c.Actions() {
			if _, ok := c.Action(a.FullName()); !ok {
				t.Fatalf("Action(%q) not found", a.FullName())
			}
		}
	})
}

func FuzzParseServiceList(f *testing.F) {
	f.Add([]byte(`[{"service":"s3","url":"https://x/v1/s3/s3.json"}]`))
	f.Add([]byte(`[{"service":"s3"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		list, err := ParseServiceList(data)
		if err != nil {
			return
		}
		for _, e := range list {
			if e.Service == "" || e.URL == "" {
				t.Fatalf("entry without service or url accepted: %+v", e)
			}
		}
	})
}

func FuzzDecode(f *testing.F) {
	var buf bytes.Buffer
	if err := tinyCatalog().Encode(&buf); err != nil {
		f.Fatal(err)
	}
	f.Add(buf.Bytes())
	raw := gunzip(f, buf.Bytes())
	f.Add(raw) // not gzip
	f.Fuzz(func(t *testing.T, data []byte) {
		// Decode both the input itself and the input as the inflated body,
		// so the fuzzer reaches the format decoder, not only gzip's.
		Decode(bytes.NewReader(data))
		if len(data) < 1<<16 {
			c, err := decodeRaw(bytes.Clone(data))
			if err == nil {
				c.Expand("*")
				c.Search("a")
			}
			// The names-only walk accepts and rejects what the full
			// decoder does, and then knows the same actions.
			n, nerr := actionNamesRaw(data)
			if (err == nil) != (nerr == nil) || err != nil && err.Error() != nerr.Error() {
				t.Fatalf("decodeRaw error %v, actionNamesRaw error %v", err, nerr)
			}
			if err == nil {
				sameNames(t, c, n)
			}
		}
	})
}
