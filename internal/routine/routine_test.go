package routine

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/workspace"
)

var update = flag.Bool("update", false, "rewrite the golden files")

func golden(t *testing.T, name string, got []byte) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.WriteFile(path, got, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run with -update)", err)
	}
	if d := cmp.Diff(string(want), string(got)); d != "" {
		t.Errorf("%s differs (-want +got):\n%s", name, d)
	}
}

func fnd(rule string, sev finding.Severity, res, title string) finding.Finding {
	return finding.Finding{RuleID: rule, Severity: sev, Account: "111111111111", Resource: res, Title: title}
}

// Three days of a routine whose steps are scripted: the state kept in the
// workspace carries "yesterday", and each summary says what changed.
func TestRunComparesWithYesterday(t *testing.T) {
	ws, err := workspace.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	root := fnd("IAM.ROOT_USED", finding.Critical, "arn:aws:iam::111111111111:root", "root used")
	stale := fnd("IAM.UNUSED_KEY", finding.Medium, "arn:aws:iam::111111111111:user/ci", "key unused 120 days")
	days := []struct {
		findings []finding.Finding
		watched  []Watched
		scan     Status
		changes  []Change
		detected []finding.Finding
	}{
		{findings: []finding.Finding{stale, stale}, scan: OK,
			changes: []Change{{Step: "disable-keys", Action: "disable key", Account: "111111111111", User: "ci", AccessKeyID: "AKIACI", Status: "done"}}},
		{findings: []finding.Finding{stale, root}, scan: Partial, detected: []finding.Finding{fnd("DETECT.STOP", finding.High, "arn:aws:iam::111111111111:user/alice", "trail stopped")},
			watched: []Watched{{Kind: "key", Account: "111111111111", User: "ci", AccessKeyID: "AKIACI", Verdict: "quiet", DaysLeft: 1}}},
		{findings: []finding.Finding{root}, scan: OK,
			watched: []Watched{{Kind: "key", Account: "111111111111", User: "ci", AccessKeyID: "AKIACI", Verdict: "quiet", DaysLeft: 0},
				{Kind: "user", Account: "111111111111", User: "old", Verdict: "noisy", DaysLeft: 3, Recommendation: "restore: seiri users retire restore old"}}},
	}
	high := finding.High
	for i, d := range days {
		prev, err := LoadState(ws.Dir)
		if err != nil {
			t.Fatal(err)
		}
		if (prev == nil) != (i == 0) {
			t.Fatalf("day %d: previous state %v", i, prev)
		}
		d := d
		steps := []Step{
			{Name: "scan", Run: func(context.Context, *Today) StepReport {
				r := StepReport{Status: d.scan}
				r.Usef("1 source")
				if d.scan == Partial {
					r.Failf("s3://trail/AWSLogs: AccessDenied listing 2026/12/02")
				}
				return r
			}},
			{Name: "audit", Run: func(_ context.Context, td *Today) StepReport {
				td.Findings = append(td.Findings, d.findings...)
				td.Detections = append(td.Detections, d.detected...)
				td.Watched = append(td.Watched, d.watched...)
				return StepReport{}
			}},
			{Name: "delete-keys", Retire: true, Run: func(_ context.Context, td *Today) StepReport {
				td.Changes = append(td.Changes, d.changes...)
				return StepReport{}
			}},
		}
		sum, st := Run(context.Background(), Options{Steps: steps, Now: t0.AddDate(0, 0, i), FailOn: &high, Previous: prev})
		if err := SaveState(ws, st); err != nil {
			t.Fatal(err)
		}
		var buf bytes.Buffer
		Render(&buf, sum, 5)
		golden(t, "day"+string(rune('1'+i))+".txt", buf.Bytes())
		want := []int{ExitOK, ExitPartial, ExitFindings}[i]
		if sum.ExitCode != want {
			t.Errorf("day %d: exit %d, want %d", i+1, sum.ExitCode, want)
		}
	}
	fi, err := os.Stat(filepath.Join(ws.Dir, StateFile))
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", fi, err)
	}
}

func TestLoadStateRefusesDamage(t *testing.T) {
	dir := t.TempDir()
	os.MkdirAll(filepath.Join(dir, "daily"), 0o700)
	os.WriteFile(filepath.Join(dir, StateFile), []byte("{not json"), 0o600)
	if _, err := LoadState(dir); err == nil {
		t.Fatal("a damaged state was read")
	} else if !bytes.Contains([]byte(err.Error()), []byte(filepath.Join(dir, StateFile))) {
		t.Errorf("the error does not name the file: %v", err)
	}
}

// A damaged or hostile state file is an error, never a panic.
func FuzzLoadState(f *testing.F) {
	f.Add([]byte(`{"schema":1,"date":"2026-12-01T06:00:00Z","findings":[{"key":"a","severity":"high"}],"watched":[{"kind":"key"}]}`))
	f.Add([]byte(`{"schema":1,"findings":[{"severity":"loud"}]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		os.MkdirAll(filepath.Join(dir, "daily"), 0o700)
		os.WriteFile(filepath.Join(dir, StateFile), b, 0o600)
		st, err := LoadState(dir)
		if err == nil && st != nil {
			Compare(st, &Today{}, time.Now())
		}
	})
}
