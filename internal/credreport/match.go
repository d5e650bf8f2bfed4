package credreport

import (
	"fmt"
	"time"
)

// Key is what MatchKeys needs to know of a real access key (from
// ListAccessKeys). credreport does not import the snapshot model; callers
// convert.
type Key struct {
	ID         string
	CreateDate time.Time
	Active     bool
}

// KeyMatch says which real key each report slot describes. A slot without a
// match has an empty ID and, when something is odd, a Problem.
type KeyMatch struct {
	Slots [2]SlotMatch
	// UnmatchedKeys are keys no slot was matched to, with the reason.
	UnmatchedKeys []UnmatchedKey
}

// SlotMatch is the outcome for one slot (access_key_1 or access_key_2).
type SlotMatch struct {
	KeyID string // "" when not matched
	// Problem explains why a slot that names a key has no match; "" when the
	// slot matched or is empty (last_rotated N/A and no key to match).
	Problem string
	// StatusDiffers is set when the slot's active flag disagrees with the
	// key's status (the report can be up to 4 hours old, so the key may have
	// been enabled or disabled since).
	StatusDiffers bool
}

// UnmatchedKey is a real key with no slot.
type UnmatchedKey struct {
	KeyID  string
	Reason string
}

// Slot returns the 0-based slot matched to keyID, or -1.
func (m KeyMatch) Slot(keyID string) int {
	for i, s := range m.Slots {
		if s.KeyID != "" && s.KeyID == keyID {
			return i
		}
	}
	return -1
}

// MatchKeys matches the report's two key slots to real keys by creation time
// exactly: a slot's last_rotated must equal the key's CreateDate to the
// second, and exactly one key and one slot must share that instant. Anything
// else (no key, two keys or both slots at the same second) is left unmatched
// and explained: a wrong match attributes one key's use to another and has
// deleted live keys in other tools (cloud-custodian #842, #6732). The
// credential report sets access_key_N_last_rotated to the key's creation
// date (IAM user guide, "Getting credential reports").
func MatchKeys(slots [2]KeySlot, keys []Key) KeyMatch {
	var m KeyMatch
	matched := map[string]bool{}
	for i, s := range slots {
		if !s.LastRotated.Valid() {
			// N/A: the slot holds no key (never had one, or it was deleted).
			continue
		}
		at := s.LastRotated.Time.UTC().Truncate(time.Second)
		other := slots[1-i]
		if other.LastRotated.Valid() && other.LastRotated.Time.UTC().Truncate(time.Second).Equal(at) {
			m.Slots[i].Problem = fmt.Sprintf("both slots were last rotated at %s: cannot tell the keys apart", at.Format(time.RFC3339))
			continue
		}
		var cands []Key
		for _, k := range keys {
			if k.CreateDate.UTC().Truncate(time.Second).Equal(at) {
				cands = append(cands, k)
			}
		}
		switch len(cands) {
		case 0:
			m.Slots[i].Problem = fmt.Sprintf("no key was created at %s (deleted or rotated since the report?)", at.Format(time.RFC3339))
		case 1:
			m.Slots[i].KeyID = cands[0].ID
			m.Slots[i].StatusDiffers = cands[0].Active != s.Active
			matched[cands[0].ID] = true
		default:
			m.Slots[i].Problem = fmt.Sprintf("%d keys were created at %s: cannot tell which one the slot describes", len(cands), at.Format(time.RFC3339))
		}
	}
	for _, k := range keys {
		if matched[k.ID] {
			continue
		}
		at := k.CreateDate.UTC().Truncate(time.Second)
		reason := fmt.Sprintf("no report slot was rotated at its creation time %s (key created after the report?)", at.Format(time.RFC3339))
		for _, s := range slots {
			if s.LastRotated.Valid() && s.LastRotated.Time.UTC().Truncate(time.Second).Equal(at) {
				reason = fmt.Sprintf("ambiguous: another key or slot shares its creation time %s", at.Format(time.RFC3339))
			}
		}
		m.UnmatchedKeys = append(m.UnmatchedKeys, UnmatchedKey{KeyID: k.ID, Reason: reason})
	}
	return m
}
