package casegen

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
)

// The independent evaluator is @cloud-copilot/iam-simulate (npm,
// AGPL-3.0), run by test/iamsim/run.mjs as a separate node process. It is a
// test-time tool only: nothing of it is linked into seiri.

// ErrNoEvaluator means node or the harness's npm dependencies are missing.
var ErrNoEvaluator = errors.New("the independent evaluator is not installed")

// HarnessDir finds test/iamsim from the working directory upwards (the
// module root holds go.mod).
func HarnessDir() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return filepath.Join(dir, "test", "iamsim"), nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// EvaluatorReady reports whether node and the installed evaluator are
// there; the error says what is missing and how to install it.
func EvaluatorReady(dir string) error {
	if _, err := exec.LookPath("node"); err != nil {
		return fmt.Errorf("%w: node is not on PATH", ErrNoEvaluator)
	}
	if _, err := os.Stat(filepath.Join(dir, "node_modules", "@cloud-copilot", "iam-simulate", "package.json")); err != nil {
		return fmt.Errorf("%w: run (cd %s && npm ci)", ErrNoEvaluator, dir)
	}
	return nil
}

// Verdict is one line of the evaluator's output.
type Verdict struct {
	ID                 string   `json:"id"`
	Decision           *string  `json:"decision"`
	Error              *string  `json:"error"`
	ResultType         string   `json:"resultType"`
	IgnoredContextKeys []string `json:"ignoredContextKeys"`
}

// RunEvaluator runs the harness over a case file and returns its verdicts
// in input order, and the evaluator's own timing line (stderr).
func RunEvaluator(dir, casesFile string, timing bool) ([]Verdict, string, error) {
	args := []string{"run.mjs", casesFile}
	if timing {
		args = append(args, "--time")
	}
	cmd := exec.Command("node", args...)
	cmd.Dir = dir
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		return nil, stderr.String(), fmt.Errorf("node run.mjs: %v: %s", err, stderr.String())
	}
	var out []Verdict
	sc := bufio.NewScanner(&stdout)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	for sc.Scan() {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var v Verdict
		if err := json.Unmarshal(sc.Bytes(), &v); err != nil {
			return nil, "", fmt.Errorf("evaluator output line %d: %v", len(out)+1, err)
		}
		out = append(out, v)
	}
	return out, stderr.String(), sc.Err()
}
