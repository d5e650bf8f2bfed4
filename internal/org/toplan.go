package org

import (
	"fmt"

	"github.com/seiri-dev/seiri/internal/plan"
)

// PlanKind is the kind of an organization plan in internal/plan.
const PlanKind = "org"

// ToPlan turns an organization plan into a generic plan for plan.Apply, so
// organization writes share the journal format of every write in seiri. The
// generic plan's id is a hash of the organization plan (creation time, base
// fingerprint, changes): applying the same file again resumes it.
func ToPlan(p *Plan) (*plan.Plan, error) {
	var cs []plan.Change
	for _, c := range p.Changes {
		b, err := MarshalChange(c)
		if err != nil {
			return nil, err
		}
		op := plan.Update
		switch c.Action() {
		case Create:
			op = plan.Create
		case Destroy:
			op = plan.Delete
		}
		cs = append(cs, plan.Change{Kind: c.Kind(), Op: op, Target: c.Target(), Description: c.Describe(), Params: b})
	}
	return plan.New(PlanKind, p.CreatedAt, p.BaseFingerprint, cs), nil
}

// EncodePlan is the content of an organization plan file (plan.EncodeFile:
// schema, content id, base fingerprint); the command writes it.
func EncodePlan(p *Plan) ([]byte, error) {
	b, _, err := plan.EncodeFile(PlanKind, p.BaseFingerprint, p.CreatedAt, p)
	return b, err
}

// LoadPlan reads an organization plan file written by SavePlan; a file
// edited after it was made, or of another kind, is refused with a
// diagnostic naming the file.
func LoadPlan(path string) (*Plan, error) {
	var p Plan
	f, err := plan.ReadFile(path, &p, PlanKind)
	if err != nil {
		return nil, err
	}
	if f.Base != p.BaseFingerprint {
		return nil, fmt.Errorf("plan %s: its base %q is not its plan's base %q: the file was edited; make a new plan", path, f.Base, p.BaseFingerprint)
	}
	return &p, nil
}
