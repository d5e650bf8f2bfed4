package org

import (
	_ "embed"
	"encoding/json"
	"strings"

	"github.com/seiri-dev/seiri/internal/org/scplib"
)

//go:embed schema.json
var schemaTemplate string

// Schema returns the JSON Schema of org.yaml, with the library's policy
// names filled in (so editors complete them).
func Schema() []byte {
	names, _ := json.Marshal(scplib.Names())
	inner := strings.TrimSuffix(strings.TrimPrefix(string(names), "["), "]")
	return []byte(strings.Replace(schemaTemplate, `"LIBRARY_NAMES"`, inner, 1))
}
