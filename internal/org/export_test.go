package org

import "os"

// Test shorthands over the production entry points (kept out of the
// binary: deadcode found them unused there).

// Validate checks a spec and returns every problem found.
func Validate(d *Document, opt Options) Problems {
	_, ps := Compile(d, opt)
	return ps
}

// Diff is DiffLimits with AWS's default limits.
func Diff(d *Document, desired, current *State) ([]Change, error) {
	return DiffLimits(d, desired, current, DefaultLimits())
}

// SavePlan writes a plan file as org plan --out does.
func SavePlan(path string, p *Plan) error {
	data, err := EncodePlan(p)
	if err != nil {
		return err
	}
	return os.WriteFile(path, data, 0o600)
}
