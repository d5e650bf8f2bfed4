package org

import "github.com/seiri-dev/seiri/internal/diag"

// CodeSpecProblem is the diagnostic code of a problem in an organization
// spec (org.yaml or a policy file it names).
const CodeSpecProblem = "org.spec"

// Diagnostic is the problem as a diagnostic whose subject is its place in
// the spec (file, line, column, YAML path).
func (p Problem) Diagnostic() diag.Diagnostic {
	return diag.Errorf(CodeSpecProblem, "%s", p.Message).About(diag.Subject{File: p.File, Line: p.Line, Column: p.Column, Path: p.Path})
}

// Diagnostics are the problems as diagnostics, in order.
func (ps Problems) Diagnostics() diag.Diagnostics {
	var ds diag.Diagnostics
	for _, p := range ps {
		ds = append(ds, p.Diagnostic())
	}
	return ds
}

// Diagnostic is the lockout risk as an error diagnostic (a warning when
// the operator accepted it).
func (r LockoutRisk) Diagnostic(accepted bool) diag.Diagnostic {
	d := diag.Errorf(CodeLockoutRisk, "lockout risk: %s", r)
	if accepted {
		d.Severity = diag.Warning
	}
	return d
}

// CodeLockoutRisk is the diagnostic code of a change that risks locking
// seiri out of the organization.
const CodeLockoutRisk = "org.lockout-risk"
