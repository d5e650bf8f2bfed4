package dashboard

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"
)

// Table is one sortable, filterable table, shipped as JSON and drawn by the
// page's script (so 100,000 rows cost bytes of JSON, not of markup).
type Table struct {
	ID      string  `json:"id"`
	Caption string  `json:"caption"`
	Cols    []Col   `json:"cols"`
	Rows    [][]any `json:"rows"` // cells: string, number, or Link
	// Note is shown under the table (what it leaves out, and where the rest is).
	Note string `json:"note,omitempty"`
}

// Col is a column: its heading and how the script treats its cells.
type Col struct {
	Name string `json:"n"`
	// Type: "" text, "num" (right-aligned, numeric sort), "id" (monospace,
	// never wraps: account ids, key ids), "sev" (severity order), "date".
	Type string `json:"t,omitempty"`
	// Enum: the column gets a drop-down filter of its distinct values.
	Enum bool `json:"f,omitempty"`
}

// Link is a cell that points at an entity (its id in Entities); the script
// shows the entity's name, so the name travels once.
type Link struct {
	To string `json:"e"`
}

// Entity is a principal, access key or account: what the report knows of
// it. The script draws its page from Facts and from every table row that
// links to it (findings, evidence, usage, plans).
type Entity struct {
	Kind string `json:"k"` // user, role, key, account
	// Name is what links show: the account id, "user/path/name", the key id.
	Name string `json:"n"`
	// Account is the principal's or key's account ("" for an account).
	Account string  `json:"a,omitempty"`
	Facts   [][]any `json:"f"` // [label, value (string or Link)]
}

// data is the JSON block the script reads.
type data struct {
	Tables   map[string]*Table  `json:"tables"`
	Entities map[string]*Entity `json:"entities"`
	// Labels and Docs are said once: an entity fact's label is an index
	// into Labels, and a long document (a trust policy) a Doc reference.
	Labels []string `json:"labels"`
	Docs   []string `json:"docs"`
}

// Doc is a reference to a document of data.Docs.
type Doc struct {
	N int `json:"d"`
}

// pack replaces fact labels by their index and documents by references.
func (d *data) pack() {
	labels := map[string]int{}
	docs := map[string]int{}
	for _, id := range sortedKeys(d.Entities) {
		for _, f := range d.Entities[id].Facts {
			if l, ok := f[0].(string); ok {
				n, seen := labels[l]
				if !seen {
					n = len(d.Labels)
					labels[l] = n
					d.Labels = append(d.Labels, l)
				}
				f[0] = n
			}
			if v, ok := f[1].(string); ok && len(v) > 100 {
				n, seen := docs[v]
				if !seen {
					n = len(d.Docs)
					docs[v] = n
					d.Docs = append(d.Docs, v)
				}
				f[1] = Doc{N: n}
			}
		}
	}
}

func newData() *data {
	return &data{Tables: map[string]*Table{}, Entities: map[string]*Entity{}}
}

func (d *data) add(t *Table) *Table {
	d.Tables[t.ID] = t
	return t
}

// entityID is the anchor of an entity: "a-<account id>", "k-<key id>", or a
// hash for principals (ARNs hold characters an anchor should not).
func entityID(kind, key string) string {
	switch kind {
	case "account":
		return "a-" + key
	case "key":
		return "k-" + key
	}
	h := sha256.Sum256([]byte(key))
	return "p-" + hex.EncodeToString(h[:6])
}

// link returns a Link to the entity when it exists, else the plain text.
func (d *data) link(kind, key, text string) any {
	id := entityID(kind, key)
	if _, ok := d.Entities[id]; ok {
		return Link{To: id}
	}
	return text
}

// principal links an ARN (user or role) when the snapshot has it.
func (d *data) principal(arn string) any {
	if arn == "" {
		return ""
	}
	return d.link("principal", arn, shortARN(arn))
}

func (d *data) account(id string) any {
	if id == "" {
		return ""
	}
	return d.link("account", id, id)
}

func (d *data) key(id string) any {
	if id == "" {
		return ""
	}
	return d.link("key", id, id)
}

// resource links a finding's resource: a principal ARN, a key id or an
// account id when the report knows it.
func (d *data) resource(r string) any {
	if r == "" {
		return ""
	}
	if _, ok := d.Entities[entityID("principal", r)]; ok {
		return d.principal(r)
	}
	if _, ok := d.Entities[entityID("key", r)]; ok {
		return d.key(r)
	}
	if _, ok := d.Entities[entityID("account", r)]; ok {
		return d.account(r)
	}
	return r
}

// shortARN is "user/name" or "role/path/name" of an IAM ARN, with the
// account ("123456789012 user/alice"); other strings are returned as is.
func shortARN(arn string) string {
	parts := strings.SplitN(arn, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" && parts[2] == "iam" {
		return parts[5]
	}
	if len(parts) == 6 && parts[0] == "arn" && parts[2] == "sts" {
		return parts[5]
	}
	return arn
}

func day(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format("2006-01-02")
}

func dayPtr(t *time.Time) string {
	if t == nil {
		return ""
	}
	return day(*t)
}

func plural(n int, one, many string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, one)
	}
	return fmt.Sprintf("%d %s", n, many)
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func thousands(n int64) string {
	s := fmt.Sprint(n)
	if n < 0 {
		return "-" + thousands(-n)
	}
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
