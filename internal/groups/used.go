package groups

import "github.com/seiri-dev/seiri/internal/usage"

// UsedActions returns the actions each principal of account used
// successfully, from the usage store's rows (only authorization-checked
// calls without an error count). An account without a single row is nil:
// usage unknown, not "nothing used" (a trail that does not cover the
// account must not make every permission look unused).
func UsedActions(rows []usage.Row, account string) map[string]ActionSet {
	var m map[string]ActionSet
	for _, r := range rows {
		if r.Account != account {
			continue
		}
		if m == nil {
			m = map[string]ActionSet{}
		}
		if r.Authz && r.ErrorCode == "" {
			m[r.Principal] = append(m[r.Principal], r.Action)
		}
	}
	for k, v := range m {
		m[k] = NewActionSet(v)
	}
	return m
}
