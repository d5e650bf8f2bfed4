package cmdtest

import (
	"encoding/json"
	"strings"
	"testing"
)

// OneJSON decodes out, a command's stdout, as exactly one JSON document of
// type T: the test fails when it is not JSON or holds more than one
// document (progress or a summary printed into it).
func OneJSON[T any](t *testing.T, out string) T {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(out))
	dec.UseNumber()
	var v T
	if err := dec.Decode(&v); err != nil {
		t.Fatalf("stdout is not JSON: %v\n%s", err, out)
	}
	if dec.More() {
		t.Fatalf("stdout holds more than one document:\n%s", out)
	}
	return v
}
