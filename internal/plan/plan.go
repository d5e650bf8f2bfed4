// Package plan is the machinery every write of seiri goes through: a Plan is
// data (a list of typed Changes) that is shown, saved, reviewed and applied
// later; Apply checks current state before each change (idempotent), writes a
// journal line before and after each AWS call (resumable after a crash), and
// refuses a plan whose base state changed since it was made.
package plan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/diag"
)

// Op is what a change does to its target, for display.
type Op string

const (
	Create Op = "create" // +
	Update Op = "update" // ~
	Delete Op = "delete" // -
)

func (o Op) symbol() string {
	switch o {
	case Create:
		return "+"
	case Delete:
		return "-"
	default:
		return "~"
	}
}

// Change is one write. Kind names the operation (e.g. "iam:UpdateAccessKey");
// Params carries its typed parameters as JSON, read by the executor that
// knows the kind.
type Change struct {
	ID          string          `json:"id"`
	Kind        string          `json:"kind"`
	Op          Op              `json:"op"`
	Account     string          `json:"account,omitempty"`
	Target      string          `json:"target"` // ARN, key id, OU id...
	Description string          `json:"description"`
	Params      json.RawMessage `json:"params,omitempty"`
	// Notes are shown under the change (evidence, warnings).
	Notes []string `json:"notes,omitempty"`
}

// Plan is an ordered list of changes made against a known base state.
type Plan struct {
	SchemaVersion int       `json:"schemaVersion"`
	ID            string    `json:"id"`
	Kind          string    `json:"kind"` // keys.disable, org, groups...
	CreatedAt     time.Time `json:"createdAt"`
	Caller        string    `json:"caller,omitempty"`
	// Base is a fingerprint of the state the plan was computed from; Apply
	// refuses the plan when the current fingerprint differs.
	Base    string   `json:"base,omitempty"`
	Changes []Change `json:"changes"`
	// Diags are the plan's refusals, warnings and notes (what it left out
	// and why), printed above the changes. They are not part of the plan's
	// id: they say why, not what.
	Diags diag.Diagnostics `json:"diagnostics,omitempty"`
}

// Warn adds a warning to the plan (code: a stable code; summary: the line
// shown).
func (p *Plan) Warn(code, summary string) {
	p.Diags = append(p.Diags, diag.Diagnostic{Severity: diag.Warning, Code: code, Summary: summary})
}

const planSchema = 1

// New makes a plan and gives it and its changes ids.
func New(kind string, createdAt time.Time, base string, changes []Change) *Plan {
	p := &Plan{SchemaVersion: planSchema, Kind: kind, CreatedAt: createdAt.UTC(), Base: base, Changes: changes}
	for i := range p.Changes {
		if p.Changes[i].ID == "" {
			p.Changes[i].ID = fmt.Sprintf("%03d", i+1)
		}
	}
	p.ID = p.fingerprint()
	return p
}

func (p *Plan) fingerprint() string {
	h := sha256.New()
	fmt.Fprintf(h, "%s\n%s\n%s\n", p.Kind, p.CreatedAt.Format(time.RFC3339Nano), p.Base)
	for _, c := range p.Changes {
		b, _ := json.Marshal(c)
		h.Write(b)
		h.Write([]byte{'\n'})
	}
	return p.Kind + "-" + hex.EncodeToString(h.Sum(nil))[:16]
}

// Fingerprint hashes any JSON-encodable state into a base fingerprint.
func Fingerprint(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return "unhashable:" + err.Error()
	}
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// Empty reports whether the plan changes nothing.
func (p *Plan) Empty() bool { return len(p.Changes) == 0 }

// Counts returns how many changes create, update and delete.
func (p *Plan) Counts() (create, update, del int) {
	for _, c := range p.Changes {
		switch c.Op {
		case Create:
			create++
		case Delete:
			del++
		default:
			update++
		}
	}
	return
}

// Render writes the plan Terraform-style: one line per change with +, ~ or -,
// its notes indented, and a summary line last.
func (p *Plan) Render(w io.Writer) {
	for _, d := range p.Diags {
		fmt.Fprintf(w, "! %s\n", d.Summary)
	}
	if len(p.Diags) > 0 {
		fmt.Fprintln(w)
	}
	for _, c := range p.Changes {
		acct := ""
		if c.Account != "" {
			acct = "[" + c.Account + "] "
		}
		fmt.Fprintf(w, "  %s %s%s\n", c.Op.symbol(), acct, c.Description)
		for _, n := range c.Notes {
			fmt.Fprintf(w, "      %s\n", n)
		}
	}
	cr, up, de := p.Counts()
	if p.Empty() {
		fmt.Fprintln(w, "No changes. The current state matches.")
		return
	}
	fmt.Fprintf(w, "\nPlan %s: %d to create, %d to change, %d to destroy.\n", p.ID, cr, up, de)
}

// Save writes the plan as a plan file (WriteFile).
func (p *Plan) Save(path string) error {
	_, err := WriteFile(path, p.Kind, p.Base, p.CreatedAt, p)
	return err
}

// Load reads a plan file of a generic plan (ReadFile: schema, kind, content
// id) and checks the plan's own id; kinds are the plan kinds the caller
// accepts (none: any).
func Load(path string, kinds ...string) (*Plan, error) {
	var p Plan
	f, err := ReadFile(path, &p, kinds...)
	if err != nil {
		return nil, err
	}
	if p.SchemaVersion != planSchema {
		return nil, fmt.Errorf("plan %s: schemaVersion %d is not supported (want %d)", path, p.SchemaVersion, planSchema)
	}
	if got := p.fingerprint(); got != p.ID || p.Kind != f.Kind || p.Base != f.Base {
		return nil, diag.Diagnostics{diag.Errorf(CodeFileEdited, "the plan file was edited after it was made").About(diag.Subject{File: path, Path: "$.plan.id"}).
			WithDetail("the plan's id %s does not match its changes (%s); make and review a new plan", trim(p.ID), got)}
	}
	return &p, nil
}

// ErrStale is returned (wrapped) when the state changed since the plan was made.
var ErrStale = errors.New("the state changed since this plan was made; run plan again")

// CheckBase compares the plan's base fingerprint with the current one.
func (p *Plan) CheckBase(current string) error { return CheckBase(p.Base, current) }

func short(s string) string {
	if len(s) > 12 {
		return s[:12]
	}
	return s
}

// Param decodes a change's parameters.
func (c *Change) Param(v any) error {
	if len(c.Params) == 0 {
		return fmt.Errorf("change %s (%s): no parameters", c.ID, c.Kind)
	}
	if err := json.Unmarshal(c.Params, v); err != nil {
		return fmt.Errorf("change %s (%s): parameters: %w", c.ID, c.Kind, err)
	}
	return nil
}

// String is a one-line description.
func (c Change) String() string {
	return strings.TrimSpace(c.Op.symbol() + " " + c.Description)
}
