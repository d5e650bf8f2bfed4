package athena

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/seiri-dev/seiri/internal/trail"
	"github.com/seiri-dev/seiri/internal/usage"
)

// DeliveryDelay is how long after a day ends seiri waits before it treats
// the day as complete: CloudTrail delivers log files about every 5 minutes,
// typically within 15 minutes of the call (CloudTrail User Guide, "How
// CloudTrail works"); an hour leaves room.
const DeliveryDelay = time.Hour

// Plan is what an Athena scan will query, from the store's bookkeeping.
type Plan struct {
	Windows []Window     // contiguous runs of whole delivery days to query
	Days    []string     // those days, YYYY/MM/DD
	Claims  []usage.Unit // what the scan will hold when committed
	// Excluded are units of those days the local engine holds: the query
	// leaves them out.
	Excluded []usage.Unit
	// Skipped are days of the window Athena already scanned (same accounts
	// and regions).
	Skipped []string
	// Incomplete: the window reaches into days not complete yet (DeliveryDelay).
	Incomplete bool
}

// ErrPartialDay is a day Athena scanned before for other accounts or
// regions than asked now: scanning it again could count twice.
var ErrPartialDay = errors.New("day scanned with Athena before for other accounts or regions")

// PlanDays splits the filter's window into whole UTC delivery days, drops
// the days Athena already holds and the days not complete yet, and lists
// the units of the local engine to leave out of the remaining ones.
func PlanDays(ledger *usage.Ledger, flt trail.Filter, now time.Time) (*Plan, error) {
	if flt.Since.IsZero() {
		return nil, errors.New("an Athena scan needs a start (Athena bills by the bytes a query scans)")
	}
	until := flt.Until
	if until.IsZero() {
		until = now
	}
	lastComplete := now.Add(-DeliveryDelay).UTC().Truncate(24 * time.Hour)
	start := flt.Since.UTC().Truncate(24 * time.Hour)
	end := until.UTC()
	if t := end.Truncate(24 * time.Hour); !t.Equal(end) {
		end = t.Add(24 * time.Hour)
	}
	p := &Plan{}
	if end.After(lastComplete) {
		p.Incomplete = true
		end = lastComplete
	}
	accts, regions := flt.Accounts, flt.Regions
	if len(accts) == 0 {
		accts = []string{"*"}
	}
	if len(regions) == 0 {
		regions = []string{"*"}
	}
	for d := start; d.Before(end); d = d.Add(24 * time.Hour) {
		day := d.Format("2006/01/02")
		var units []usage.Unit
		held, partial := 0, false
		for _, a := range accts {
			for _, r := range regions {
				u := usage.Unit{Day: day, Account: a, Region: r}
				units = append(units, u)
				switch {
				case ledger.HeldByAthena(u):
					held++
				case ledger.AthenaOverlaps(u):
					partial = true
				}
			}
		}
		if held == len(units) {
			p.Skipped = append(p.Skipped, day)
			continue
		}
		if held > 0 || partial {
			return nil, fmt.Errorf("%w: %s (accounts %s, regions %s); scan it with the accounts and regions of that scan", ErrPartialDay, day,
				strings.Join(accts, ","), strings.Join(regions, ","))
		}
		for _, l := range ledger.LocalUnits(day) {
			for _, u := range units {
				if (u.Account == "*" || u.Account == l.Account) && (u.Region == "*" || u.Region == l.Region) {
					p.Excluded = append(p.Excluded, l)
					break
				}
			}
		}
		p.Days = append(p.Days, day)
		p.Claims = append(p.Claims, units...)
		if n := len(p.Windows); n > 0 && p.Windows[n-1].Until.Equal(d) {
			p.Windows[n-1].Until = d.Add(24 * time.Hour)
			continue
		}
		p.Windows = append(p.Windows, Window{Since: d, Until: d.Add(24 * time.Hour)})
	}
	return p, nil
}

// Engine runs an Athena scan: Scan on a Runner, or a stand-in in tests.
type Engine func(ctx context.Context, opts Options) (*Result, error)

// IntoResult is an Athena scan committed to the store.
type IntoResult struct {
	Plan   *Plan
	Result *Result // nil when there was nothing to query
}

// ScanInto runs an Athena scan into store sharing the local engine's
// bookkeeping: it takes the store's write lock, plans whole delivery days
// (PlanDays), queries them without the units the local engine holds, and
// commits the rows with Athena's claim on those days in one transaction.
// Local scans then leave the claimed units alone; mixing the engines over
// the same days never counts a record twice. summary, when set, builds the
// run's summary from the result (the command's report).
func ScanInto(ctx context.Context, store *usage.Store, engine Engine, opts Options, now time.Time, summary func(*IntoResult) any) (*IntoResult, error) {
	ledger, err := store.Ledger(ctx)
	if err != nil {
		return nil, err
	}
	defer store.Unlock()
	plan, err := PlanDays(ledger, opts.Filter, now)
	if err != nil {
		return nil, err
	}
	out := &IntoResult{Plan: plan}
	if len(plan.Windows) == 0 {
		return out, nil
	}
	opts.Windows, opts.Delivery, opts.Exclude = plan.Windows, true, plan.Excluded
	res, err := engine(ctx, opts)
	if err != nil {
		return nil, err
	}
	out.Result = res
	var sum []byte
	if summary != nil {
		sum, _ = json.Marshal(summary(out))
	}
	run := &usage.Run{Engine: usage.EngineAthena, StartedAt: now, FinishedAt: time.Now().UTC(), Since: plan.Windows[0].Since,
		Until: plan.Windows[len(plan.Windows)-1].Until, Sources: []string{"athena:" + opts.Table}, Summary: sum}
	if err := store.Commit(ctx, usage.Batch{Rows: res.Rows, Unmapped: res.Unmapped, SessionUses: res.SessionUses, Run: run,
		AthenaUnits: plan.Claims, AthenaExcluded: plan.Excluded}); err != nil {
		return nil, fmt.Errorf("save Athena scan to %s: %w", store.Path(), err)
	}
	return out, nil
}
