package table

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"text/tabwriter"
	"unicode/utf8"
)

// Tables that fit come out exactly as text/tabwriter lays them out.
func TestMatchesTabwriterWhenItFits(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"", "a", "account", "111111111111", "arn:aws:iam::111111111111:role/x", "✓", "s3:GetObject", "—"}
	for n := 0; n < 300; n++ {
		var in strings.Builder
		for l := 0; l < 1+rng.IntN(8); l++ {
			cols := rng.IntN(5)
			for c := 0; c < cols; c++ {
				in.WriteString(words[rng.IntN(len(words))])
				in.WriteByte('\t')
			}
			if rng.IntN(2) == 0 {
				in.WriteString(words[rng.IntN(len(words))])
			}
			in.WriteByte('\n')
		}
		for _, flags := range []uint{0, tabwriter.AlignRight} {
			var want, got bytes.Buffer
			tw := tabwriter.NewWriter(&want, 0, 0, 2, ' ', flags)
			fmt.Fprint(tw, in.String())
			tw.Flush()
			w := NewWriter(&got, 0, 0, 2, ' ', flags)
			fmt.Fprint(w, in.String())
			w.Flush()
			if widest(want.String()) > Width {
				continue // does not fit: elided (TestFitsWidth)
			}
			if got.String() != want.String() {
				t.Fatalf("input %q flags %d:\ngot\n%s\nwant\n%s", in.String(), flags, got.String(), want.String())
			}
		}
	}
}

func TestFitsWidth(t *testing.T) {
	var got bytes.Buffer
	w := NewWriter(&got, 0, 0, 2, ' ', 0)
	fmt.Fprintln(w, "ACCOUNT\tPRINCIPAL\tACTION\tRESOURCE\tCOUNT")
	fmt.Fprintf(w, "111111111111\tarn:aws:iam::111111111111:role/%s\ts3:GetObject\tarn:aws:s3:::%s/*\t12\n", strings.Repeat("r", 80), strings.Repeat("b", 90))
	fmt.Fprintln(w, "short\tx\ty\tz\t1")
	fmt.Fprintln(w, "A line of prose without any cell that is much longer than the width of a terminal and so must be wrapped at a space somewhere.")
	w.Flush()
	lines := strings.Split(strings.TrimSuffix(got.String(), "\n"), "\n")
	for _, l := range lines {
		if n := utf8.RuneCountInString(l); n > Width {
			t.Errorf("%d runes: %q", n, l)
		}
	}
	if !strings.Contains(lines[1], "…") || !strings.HasPrefix(lines[1], "111111111111  …") || !strings.HasSuffix(lines[1], "12") {
		t.Errorf("row not elided as expected: %q", lines[1])
	}
	if len(lines) != 5 || !strings.HasPrefix(lines[4], "  ") {
		t.Errorf("prose not wrapped with an indent:\n%s", got.String())
	}
}

func TestElide(t *testing.T) {
	for _, c := range []struct {
		in   string
		n    int
		want string
	}{
		{"arn:aws:iam::111111111111:role/deploy", 21, "…11111111:role/deploy"},
		{"s3://bucket/some/long/prefix/here", 15, "s3://bu…ix/here"},
		{"a long description here", 10, "a long de…"},
		{"short", 10, "short"},
		{"abc", 1, "…"},
	} {
		if got := Elide(c.in, c.n); got != c.want {
			t.Errorf("Elide(%q, %d) = %q, want %q", c.in, c.n, got, c.want)
		}
	}
}

func TestWrap(t *testing.T) {
	var b bytes.Buffer
	w := NewWrap(&b)
	long := "    " + strings.Repeat("word ", 40)
	fmt.Fprint(w, "ok\n"+long+"\nend")
	w.Flush()
	lines := strings.Split(b.String(), "\n")
	if lines[0] != "ok" || lines[len(lines)-1] != "end" {
		t.Fatalf("%q", b.String())
	}
	for _, l := range lines {
		if utf8.RuneCountInString(l) > Width {
			t.Errorf("%d runes: %q", utf8.RuneCountInString(l), l)
		}
	}
	if !strings.HasPrefix(lines[2], "      word") {
		t.Errorf("continuation %q lacks the indentation", lines[2])
	}
}

func FuzzWriter(f *testing.F) {
	f.Add("a\tb\tc\n" + strings.Repeat("x", 200) + "\ty\n")
	f.Fuzz(func(t *testing.T, s string) {
		if !utf8.ValidString(s) || strings.ContainsAny(s, "\r\v\f\b") {
			return
		}
		var b bytes.Buffer
		w := NewWriter(&b, 0, 0, 2, ' ', 0)
		w.Write([]byte(s))
		w.Flush()
		for _, l := range strings.Split(b.String(), "\n") {
			if strings.Count(l, "\t") == 0 && utf8.RuneCountInString(l) > Width {
				t.Errorf("%d runes: %q", utf8.RuneCountInString(l), l)
			}
		}
	})
}

func widest(s string) int {
	n := 0
	for _, l := range strings.Split(s, "\n") {
		n = max(n, utf8.RuneCountInString(l))
	}
	return n
}

// Keep: the identifying columns keep their whole values and the others are
// cut down instead; when even that cannot fit, every column is levelled.
func TestKeepColumns(t *testing.T) {
	render := func(keep ...int) string {
		var got bytes.Buffer
		w := NewWriter(&got, 0, 0, 2, ' ', 0).Keep(keep...)
		fmt.Fprintln(w, "KIND\tACCOUNT\tRESOURCE\tPRINCIPAL\tACTIONS\tSTATEMENT")
		fmt.Fprintln(w, "external-account\t555555555555\tarn:aws:s3:::acme-partner-exchange\tarn:aws:iam::999988887777:root\ts3:GetObject,s3:PutObject\tPartnerExchange")
		fmt.Fprintln(w, "s3-no-account-block-public-access\t666666666666\tarn:aws:s3:::666666666666\t-\t-\t-")
		w.Flush()
		return got.String()
	}
	want := "" +
		"KIND         ACCOUNT       RESOURCE                            PRINCIPAL                       ACTIONS      STATEMENT\n" +
		"external-a…  555555555555  arn:aws:s3:::acme-partner-exchange  arn:aws:iam::999988887777:root  s3:Ge…bject  PartnerExc…\n" +
		"s3-no-acco…  666666666666  arn:aws:s3:::666666666666           -                               -            -\n"
	if got := render(2, 3); got != want {
		t.Errorf("Keep(2, 3):\n%s\nwant\n%s", got, want)
	}
	// Without Keep the ARNs are cut like the rest.
	if got := render(); strings.Contains(got, "arn:aws:s3:::acme-partner-exchange") {
		t.Errorf("without Keep the ARN should be elided:\n%s", got)
	}
	// A kept column wider than the table allows is levelled with the others.
	var got bytes.Buffer
	w := NewWriter(&got, 0, 0, 2, ' ', 0).Keep(1)
	fmt.Fprintf(w, "a\t%s\tb\n", strings.Repeat("x", 200))
	w.Flush()
	if n := widest(got.String()); n > Width {
		t.Errorf("kept column overflows: %d columns", n)
	}
}

// Keep, when the kept columns cannot all be whole: the others are cut to
// keepFloor and the kept columns share the rest.
func TestKeepColumnsShare(t *testing.T) {
	var got bytes.Buffer
	w := NewWriter(&got, 0, 0, 2, ' ', 0).Keep(1, 2)
	fmt.Fprintf(w, "%s\t%s\t%s\t%s\n", strings.Repeat("k", 30), "arn:aws:s3:::"+strings.Repeat("b", 60), "arn:aws:iam::999988887777:root", strings.Repeat("s", 30))
	w.Flush()
	line := strings.TrimSuffix(got.String(), "\n")
	if n := utf8.RuneCountInString(line); n > Width {
		t.Fatalf("%d columns: %q", n, line)
	}
	if !strings.HasPrefix(line, "kkkkkkk…  ") || !strings.Contains(line, "  arn:aws:iam::999988887777:root  ") {
		t.Errorf("the first column should be cut to %d and the principal kept whole: %q", keepFloor, line)
	}
}
