package usage

import (
	"database/sql/driver"
	"encoding/json"
	"fmt"
	"strings"

	"modernc.org/sqlite"
)

// setSep joins the values of a sample set in a column (U+001F, the ASCII
// unit separator: it does not occur in IPs, ARNs or session names; in a
// user agent it is replaced, see cleanValue).
const setSep = "\x1f"

func init() {
	// seiri_set_union(a, b, max): the sorted union of two stored sets, at
	// most max values (0: no bound); what Row.Merge does, inside SQLite.
	must(sqlite.RegisterDeterministicScalarFunction("seiri_set_union", 3, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		a, b := asString(args[0]), asString(args[1])
		if b == "" {
			return a, nil
		}
		if a == "" || a == b {
			return b, nil
		}
		max, _ := args[2].(int64)
		return joinSet(MergeSet(splitSet(a), splitSet(b), int(max))), nil
	}))
	// seiri_set_from_json: a schema 3 set (JSON array) as a schema 4 one.
	must(sqlite.RegisterDeterministicScalarFunction("seiri_set_from_json", 1, func(_ *sqlite.FunctionContext, args []driver.Value) (driver.Value, error) {
		s := asString(args[0])
		if s == "" || s == "[]" {
			return "", nil
		}
		var v []string
		if err := json.Unmarshal([]byte(s), &v); err != nil {
			return nil, fmt.Errorf("bad set %q: %w", trim(s), err)
		}
		return joinSet(v), nil
	}))
}

func must(err error) {
	if err != nil {
		panic(err) // registering a function twice is a programming error
	}
}

func asString(v driver.Value) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}

// joinSet stores a set: its values joined by setSep.
func joinSet(v []string) string {
	switch len(v) {
	case 0:
		return ""
	case 1:
		return cleanValue(v[0])
	}
	var b strings.Builder
	for i, s := range v {
		if i > 0 {
			b.WriteString(setSep)
		}
		b.WriteString(cleanValue(s))
	}
	return b.String()
}

// cleanValue replaces the separator in a sample value (a user agent can
// hold any character) with U+FFFD.
func cleanValue(s string) string {
	if strings.ContainsAny(s, setSep+samplesSep) {
		return strings.NewReplacer(setSep, "\uFFFD", samplesSep, "\uFFFD").Replace(s)
	}
	return s
}

func splitSet(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, setSep)
}
