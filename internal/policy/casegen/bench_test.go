package casegen

import (
	"bytes"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/seiri-dev/seiri/internal/benchcpu"
	"github.com/seiri-dev/seiri/internal/policy"
)

// BenchmarkSimulateGenerated measures seiri's `policy simulate` path
// (decode + compile + evaluate, one worker) over the differential test's
// case file, in cases per second; BenchmarkEvaluatorGenerated runs the
// independent evaluator over the same file. docs/bench-policy.md has the
// command and the figures.
func BenchmarkSimulateGenerated(b *testing.B) {
	data := generatedCases()
	b.SetBytes(int64(len(data)))
	// The generator's garbage (tens of MB in a fresh process) is collected
	// before timing, as the testing package does before every benchmark
	// run: otherwise a one-pass run bills that collection to seiri.
	runtime.GC()
	b.ResetTimer()
	cpu0 := benchcpu.Used()
	for i := 0; i < b.N; i++ {
		// Cold, as the evaluator's fresh process: without this the second
		// pass over the same file finds its documents in the policy cache.
		policy.DropCachedPolicies()
		n := 0
		if err := policy.Simulate(bytes.NewReader(data), nil, 1, func(policy.CaseResult) error { n++; return nil }); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(DiffCases*b.N)/b.Elapsed().Seconds(), "cases/s")
	b.ReportMetric(float64(DiffCases*b.N)/(benchcpu.Used()-cpu0).Seconds(), "cases/cpu-s")
}

// generatedCases is the differential test's case file, generated once per
// test binary so that -count repetitions measure only the simulation.
var generatedCases = sync.OnceValue(func() []byte { return New(20261202, nil).Generate(DiffCases) })

// BenchmarkEvaluatorGenerated runs the independent evaluator over the same
// file. Its cases/cpu-s is the CPU time of the evaluation loop as node
// reports it (process.cpuUsage around the loop: JSON parsing and
// runSimulation, all of node's threads, the garbage collector included),
// so that neither side pays its process start-up or module loading: the
// seiri figure likewise starts after the catalog is loaded. cases/cpu-s-proc
// is the whole node process (start-up included), as measured before.
func BenchmarkEvaluatorGenerated(b *testing.B) {
	dir, err := HarnessDir()
	if err != nil {
		b.Fatal(err)
	}
	if err := EvaluatorReady(dir); err != nil {
		b.Skip(err)
	}
	file := filepath.Join(b.TempDir(), "cases.jsonl")
	if err := os.WriteFile(file, generatedCases(), 0o600); err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	var inner time.Duration
	var loopCPU float64
	cpu0 := benchcpu.Children()
	for i := 0; i < b.N; i++ {
		start := time.Now()
		_, timing, err := RunEvaluator(dir, file, true)
		if err != nil {
			b.Fatal(err)
		}
		inner += time.Since(start)
		m := loopCPURe.FindStringSubmatch(timing)
		if m == nil {
			b.Fatalf("no loop CPU time in the evaluator's timing line %q", timing)
		}
		f, err := strconv.ParseFloat(m[1], 64)
		if err != nil {
			b.Fatal(err)
		}
		loopCPU += f
	}
	b.ReportMetric(float64(DiffCases*b.N)/inner.Seconds(), "cases/s")
	b.ReportMetric(float64(DiffCases*b.N)/loopCPU, "cases/cpu-s")
	b.ReportMetric(float64(DiffCases*b.N)/(benchcpu.Children()-cpu0).Seconds(), "cases/cpu-s-proc")
}

// loopCPURe reads run.mjs --time's "cpu 4.191 s".
var loopCPURe = regexp.MustCompile(`cpu ([0-9.]+) s`)
