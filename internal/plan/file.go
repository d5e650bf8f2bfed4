package plan

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/seiri-dev/seiri/internal/diag"
	"github.com/seiri-dev/seiri/internal/workspace"
)

// FileSchema is the version of the plan file envelope. Every plan file seiri
// writes (keys, users, groups, org) is this envelope around the typed plan
// of its kind, written by WriteFile and read by ReadFile.
const FileSchema = 1

// File is a saved plan: who made it against what, and the typed plan.
type File struct {
	Schema int `json:"schema"`
	// ID is the content hash of Kind, Base and Plan: ReadFile recomputes it,
	// so a plan edited after review is refused.
	ID        string    `json:"id"`
	Kind      string    `json:"kind"` // keys.disable, groups, org, ...
	CreatedAt time.Time `json:"createdAt"`
	// Base is the fingerprint of the state the plan was computed from;
	// CheckBase compares it with the state now.
	Base string          `json:"base"`
	Plan json.RawMessage `json:"plan"`
}

// Diagnostic codes of plan files.
const (
	CodeFileUnreadable = "plan.file.unreadable"
	CodeFileSchema     = "plan.file.schema"
	CodeFileKind       = "plan.file.kind"
	CodeFileEdited     = "plan.file.edited"
	CodeStale          = "plan.stale"
)

func contentID(kind, base string, body []byte) (string, error) {
	var c bytes.Buffer
	if err := json.Compact(&c, body); err != nil {
		return "", err
	}
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n", kind, base)
	h.Write(c.Bytes())
	return kind + "-" + hex.EncodeToString(h.Sum(nil))[:16], nil
}

// WriteFile saves a typed plan (any JSON-encodable value) of a kind, made
// against the base fingerprint, at path (0600). It returns the file's id.
func WriteFile(path, kind, base string, createdAt time.Time, p any) (string, error) {
	b, id, err := EncodeFile(kind, base, createdAt, p)
	if err != nil {
		return "", fmt.Errorf("plan %s: %w", path, err)
	}
	return id, workspace.WriteFile(path, b)
}

// EncodeFile is the content WriteFile writes (for a plan sent to standard
// output), and its id.
func EncodeFile(kind, base string, createdAt time.Time, p any) ([]byte, string, error) {
	body, err := json.MarshalIndent(p, "  ", "  ")
	if err != nil {
		return nil, "", err
	}
	id, err := contentID(kind, base, body)
	if err != nil {
		return nil, "", err
	}
	f := File{Schema: FileSchema, ID: id, Kind: kind, CreatedAt: createdAt.UTC(), Base: base, Plan: body}
	b, err := json.MarshalIndent(f, "", "  ")
	if err != nil {
		return nil, "", err
	}
	return append(b, '\n'), id, nil
}

// ReadFile reads a plan file written by WriteFile, checks its schema, its
// kind (kinds: the kinds the caller accepts; none accepts any) and that its
// content still matches its id, and decodes the typed plan into p. Problems
// are diagnostics with the file as subject.
func ReadFile(path string, p any, kinds ...string) (*File, error) {
	at := diag.Subject{File: path}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, diag.Diagnostics{diag.Errorf(CodeFileUnreadable, "cannot read the plan file").About(at).WithDetail("%v", unwrapPath(err))}
	}
	var f File
	if err := json.Unmarshal(b, &f); err != nil {
		d := diag.Errorf(CodeFileUnreadable, "the plan file is not a seiri plan").About(at).WithDetail("%v", err)
		var se *json.SyntaxError
		if errors.As(err, &se) {
			d.Subject.Line, d.Subject.Column = lineCol(b, se.Offset)
		}
		return nil, diag.Diagnostics{d}
	}
	if f.Schema != FileSchema {
		at.Path = "$.schema"
		return nil, diag.Diagnostics{diag.Errorf(CodeFileSchema, "plan file schema %d is not supported (this seiri reads %d)", f.Schema, FileSchema).About(at).
			WithDetail("make the plan again with this version of seiri")}
	}
	if len(kinds) > 0 && !contains(kinds, f.Kind) {
		at.Path = "$.kind"
		return nil, diag.Diagnostics{diag.Errorf(CodeFileKind, "this is a %q plan; this command applies %v plans", trim(f.Kind), kinds).About(at)}
	}
	id, err := contentID(f.Kind, f.Base, f.Plan)
	if err != nil || id != f.ID {
		at.Path = "$.plan"
		return nil, diag.Diagnostics{diag.Errorf(CodeFileEdited, "the plan file was edited after it was made").About(at).
			WithDetail("its id %s does not match its content (%s); make and review a new plan", trim(f.ID), id)}
	}
	if err := json.Unmarshal(f.Plan, p); err != nil {
		at.Path = "$.plan"
		return nil, diag.Diagnostics{diag.Errorf(CodeFileUnreadable, "the plan in the file cannot be read").About(at).WithDetail("%v", err)}
	}
	return &f, nil
}

// CheckBase refuses to apply a plan whose base state changed since it was
// made (current is the fingerprint of the state now). The one stale check
// of seiri: every apply calls it, except when resuming a plan the journal
// shows started (its own writes changed the base).
func CheckBase(planBase, current string) error {
	if planBase != "" && current != planBase {
		ds := diag.Diagnostics{diag.Errorf(CodeStale, "%v", ErrStale).
			WithDetail("plan base %s, now %s", short(planBase), short(current))}
		return fmt.Errorf("%w%w", ds, errSentinel{ErrStale})
	}
	return nil
}

func lineCol(b []byte, off int64) (int, int) {
	if off > int64(len(b)) {
		off = int64(len(b))
	}
	line, col := 1, 1
	for _, c := range b[:off] {
		if c == '\n' {
			line, col = line+1, 1
		} else {
			col++
		}
	}
	return line, col
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func trim(s string) string {
	if len(s) > 80 {
		return s[:77] + "..."
	}
	return s
}

// errSentinel wraps a sentinel so errors.Is finds it without adding its
// text twice.
type errSentinel struct{ err error }

func (e errSentinel) Error() string { return "" }
func (e errSentinel) Unwrap() error { return e.err }
