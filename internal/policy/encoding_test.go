package policy

import (
	"encoding/binary"
	"math/bits"
	"math/rand/v2"
	"strings"
	"testing"
)

func TestParseEncodings(t *testing.T) {
	doc := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"s3:GetObject","Resource":"*"}]}`
	if _, err := Parse([]byte("\xEF\xBB\xBF"+doc), TypeIdentity); err != nil {
		t.Errorf("UTF-8 with BOM: %v", err)
	}
	var utf16 []byte
	utf16 = append(utf16, 0xFF, 0xFE)
	for _, c := range doc {
		utf16 = append(utf16, byte(c), 0)
	}
	_, err := Parse(utf16, TypeIdentity)
	if err == nil || !strings.Contains(err.Error(), "the file is UTF-16 (little-endian) text; re-save it as UTF-8") {
		t.Errorf("UTF-16: %v", err)
	}
}

func TestSimulateCasesWithBOM(t *testing.T) {
	var lines []int
	err := Simulate(strings.NewReader("\xEF\xBB\xBF{\"id\": 1}\n"), &Options{}, 1, func(cr CaseResult) error {
		lines = append(lines, cr.Line)
		if cr.Err != nil && strings.Contains(cr.Err.Error(), "ï") {
			t.Errorf("BOM reached the case parser: %v", cr.Err)
		}
		return nil
	})
	if err != nil || len(lines) != 1 {
		t.Errorf("%v %v", lines, err)
	}
	err = Simulate(strings.NewReader("\xFF\xFE{\x00}\x00"), &Options{}, 1, func(CaseResult) error { return nil })
	if err == nil || err.Error() != "reading cases: the file is UTF-16 (little-endian) text; re-save it as UTF-8" {
		t.Errorf("UTF-16 cases: %v", err)
	}
}

// skipObject finds the end of an object by brackets outside strings; a
// string ends at the first quote not escaped by an odd run of backslashes.
func TestSkipObjectStrings(t *testing.T) {
	for _, obj := range []string{
		`{}`, `{"a":"}"}`, `{"a":"\""}`, `{"a":"\\"}`, `{"a":"\\\"}"}`, `{"a":"x\\\\"}`,
		`{"a":["]",{"b":"{"}],"c":"\\\\\""}`, `{"a\"}":1}`,
	} {
		data := []byte(obj + `,"tail":"}"`)
		if got := skipObject(data, 0); got != len(obj) {
			t.Errorf("skipObject(%s) = %d, want %d", obj, got, len(obj))
		}
		if _, err := DecodeJSON([]byte(obj)); err != nil {
			t.Errorf("%s is not valid JSON: %v", obj, err)
		}
	}
	for _, bad := range []string{`{"a":"}`, `{"a":"\"}`, `{`} {
		if got := skipObject([]byte(bad), 0); got != -1 {
			t.Errorf("skipObject(%s) = %d, want -1", bad, got)
		}
	}
}

// swarSpecial finds the first special byte of a word exactly as the byte
// table does: every byte value in every position, over backgrounds of
// plain, special and random bytes.
func TestSwarSpecial(t *testing.T) {
	first := func(w [8]byte) int {
		for i, c := range w {
			if strSpecial[c] != 0 {
				return i
			}
		}
		return 8
	}
	check := func(w [8]byte) {
		m := swarSpecial(binary.LittleEndian.Uint64(w[:]))
		got := 8
		if m != 0 {
			got = bits.TrailingZeros64(m) / 8
		}
		if want := first(w); got != want {
			t.Fatalf("%q: first special byte %d, want %d", w[:], got, want)
		}
	}
	rnd := rand.New(rand.NewPCG(1, 2))
	for bg := 0; bg < 64; bg++ {
		var base [8]byte
		for i := range base {
			switch {
			case bg == 0:
				base[i] = 'a'
			case bg == 1:
				base[i] = 0xff
			default:
				base[i] = byte(rnd.IntN(256))
			}
		}
		check(base)
		for pos := 0; pos < 8; pos++ {
			for c := 0; c < 256; c++ {
				w := base
				w[pos] = byte(c)
				check(w)
			}
		}
	}
}
