package credreport

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestMatchKeys(t *testing.T) {
	t1 := ts("2023-01-10T08:00:00Z")
	t2 := ts("2024-03-05T17:30:00Z")
	na := Time{Missing: NA}
	at := func(tm Time) time.Time { return tm.Time }
	tests := []struct {
		name  string
		slots [2]KeySlot
		keys  []Key
		want  KeyMatch
	}{
		{
			name:  "two keys, each in its slot",
			slots: [2]KeySlot{{Active: true, LastRotated: t1}, {Active: true, LastRotated: t2}},
			keys:  []Key{{ID: "AKIAB", CreateDate: at(t2), Active: true}, {ID: "AKIAA", CreateDate: at(t1), Active: true}},
			want:  KeyMatch{Slots: [2]SlotMatch{{KeyID: "AKIAA"}, {KeyID: "AKIAB"}}},
		},
		{
			name:  "sub-second CreateDate still matches to the second",
			slots: [2]KeySlot{{Active: true, LastRotated: t1}, {LastRotated: na}},
			keys:  []Key{{ID: "AKIAA", CreateDate: at(t1).Add(400 * time.Millisecond), Active: true}},
			want:  KeyMatch{Slots: [2]SlotMatch{{KeyID: "AKIAA"}, {}}},
		},
		{
			// Slot 1's key was deleted and a new key created: AWS fills slot
			// 1 again only when empty at creation; here the report still
			// shows the old key in slot 1 and the new key in slot 2.
			name:  "rotated: slot 1 key deleted, new key in slot 2",
			slots: [2]KeySlot{{Active: true, LastRotated: t1}, {Active: true, LastRotated: t2}},
			keys:  []Key{{ID: "AKIANEW", CreateDate: at(t2), Active: true}},
			want: KeyMatch{Slots: [2]SlotMatch{
				{Problem: "no key was created at 2023-01-10T08:00:00Z (deleted or rotated since the report?)"},
				{KeyID: "AKIANEW"},
			}},
		},
		{
			name:  "rotated: new key created after the report",
			slots: [2]KeySlot{{Active: true, LastRotated: t1}, {LastRotated: na}},
			keys:  []Key{{ID: "AKIAA", CreateDate: at(t1), Active: true}, {ID: "AKIANEW", CreateDate: at(t2), Active: true}},
			want: KeyMatch{
				Slots:         [2]SlotMatch{{KeyID: "AKIAA"}, {}},
				UnmatchedKeys: []UnmatchedKey{{KeyID: "AKIANEW", Reason: "no report slot was rotated at its creation time 2024-03-05T17:30:00Z (key created after the report?)"}},
			},
		},
		{
			name:  "same day is not enough",
			slots: [2]KeySlot{{Active: true, LastRotated: t1}, {LastRotated: na}},
			keys:  []Key{{ID: "AKIAA", CreateDate: at(t1).Add(3 * time.Hour), Active: true}},
			want: KeyMatch{
				Slots:         [2]SlotMatch{{Problem: "no key was created at 2023-01-10T08:00:00Z (deleted or rotated since the report?)"}, {}},
				UnmatchedKeys: []UnmatchedKey{{KeyID: "AKIAA", Reason: "no report slot was rotated at its creation time 2023-01-10T11:00:00Z (key created after the report?)"}},
			},
		},
		{
			// A user created with a key in the same second (console wizard,
			// Terraform): user_creation_time plays no part in matching.
			name:  "key created the same second as the user",
			slots: [2]KeySlot{{Active: true, LastRotated: t1}, {LastRotated: na}},
			keys:  []Key{{ID: "AKIAA", CreateDate: at(t1), Active: true}},
			want:  KeyMatch{Slots: [2]SlotMatch{{KeyID: "AKIAA"}, {}}},
		},
		{
			name:  "two keys created the same second: ambiguous, no match",
			slots: [2]KeySlot{{Active: true, LastRotated: t1}, {Active: false, LastRotated: t1}},
			keys:  []Key{{ID: "AKIAA", CreateDate: at(t1), Active: true}, {ID: "AKIAB", CreateDate: at(t1), Active: false}},
			want: KeyMatch{
				Slots: [2]SlotMatch{
					{Problem: "both slots were last rotated at 2023-01-10T08:00:00Z: cannot tell the keys apart"},
					{Problem: "both slots were last rotated at 2023-01-10T08:00:00Z: cannot tell the keys apart"},
				},
				UnmatchedKeys: []UnmatchedKey{
					{KeyID: "AKIAA", Reason: "ambiguous: another key or slot shares its creation time 2023-01-10T08:00:00Z"},
					{KeyID: "AKIAB", Reason: "ambiguous: another key or slot shares its creation time 2023-01-10T08:00:00Z"},
				},
			},
		},
		{
			name:  "two keys at one slot's time, other slot deleted",
			slots: [2]KeySlot{{Active: true, LastRotated: t1}, {LastRotated: na}},
			keys:  []Key{{ID: "AKIAA", CreateDate: at(t1)}, {ID: "AKIAB", CreateDate: at(t1)}},
			want: KeyMatch{
				Slots: [2]SlotMatch{{Problem: "2 keys were created at 2023-01-10T08:00:00Z: cannot tell which one the slot describes"}, {}},
				UnmatchedKeys: []UnmatchedKey{
					{KeyID: "AKIAA", Reason: "ambiguous: another key or slot shares its creation time 2023-01-10T08:00:00Z"},
					{KeyID: "AKIAB", Reason: "ambiguous: another key or slot shares its creation time 2023-01-10T08:00:00Z"},
				},
			},
		},
		{
			name:  "slot says N/A but a key exists",
			slots: [2]KeySlot{{LastRotated: na}, {LastRotated: na}},
			keys:  []Key{{ID: "AKIAA", CreateDate: at(t1), Active: true}},
			want: KeyMatch{UnmatchedKeys: []UnmatchedKey{
				{KeyID: "AKIAA", Reason: "no report slot was rotated at its creation time 2023-01-10T08:00:00Z (key created after the report?)"}}},
		},
		{
			name:  "slot no_information",
			slots: [2]KeySlot{{LastRotated: Time{Missing: NoInformation}}, {LastRotated: na}},
			keys:  nil,
			want:  KeyMatch{},
		},
		{
			name:  "status differs (key disabled after the report)",
			slots: [2]KeySlot{{Active: true, LastRotated: t1}, {LastRotated: na}},
			keys:  []Key{{ID: "AKIAA", CreateDate: at(t1), Active: false}},
			want:  KeyMatch{Slots: [2]SlotMatch{{KeyID: "AKIAA", StatusDiffers: true}, {}}},
		},
		{
			name:  "no keys, no slots",
			slots: [2]KeySlot{{LastRotated: na}, {LastRotated: na}},
			want:  KeyMatch{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := MatchKeys(tt.slots, tt.keys)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("MatchKeys (-want +got):\n%s", diff)
			}
		})
	}
}

func TestKeyMatchSlot(t *testing.T) {
	m := KeyMatch{Slots: [2]SlotMatch{{}, {KeyID: "AKIAB"}}}
	for _, tt := range []struct {
		id   string
		want int
	}{{"AKIAB", 1}, {"AKIAA", -1}, {"", -1}} {
		if got := m.Slot(tt.id); got != tt.want {
			t.Errorf("Slot(%q) = %d, want %d", tt.id, got, tt.want)
		}
	}
}

// FuzzMatchKeys checks MatchKeys' safety invariants on arbitrary slot and key
// times drawn from a small range (so that collisions are common): a match is
// always exact to the second and unique, and every key is either matched or
// reported.
func FuzzMatchKeys(f *testing.F) {
	f.Add(int64(10), int64(20), true, true, int64(10), int64(20), int64(30), uint8(2))
	f.Add(int64(10), int64(10), true, true, int64(10), int64(10), int64(0), uint8(2))
	f.Add(int64(-1), int64(5), false, true, int64(5), int64(5), int64(5), uint8(3))
	f.Fuzz(func(t *testing.T, s1, s2 int64, a1, a2 bool, k1, k2, k3 int64, n uint8) {
		base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
		slot := func(sec int64, active bool) KeySlot {
			if sec < 0 {
				return KeySlot{LastRotated: Time{Missing: NA}}
			}
			return KeySlot{Active: active, LastRotated: Time{Time: base.Add(time.Duration(sec%50) * time.Second)}}
		}
		slots := [2]KeySlot{slot(s1, a1), slot(s2, a2)}
		all := []int64{k1, k2, k3}
		var keys []Key
		for i := 0; i < int(n%4) && i < len(all); i++ {
			ms := all[i] % 50_000 // up to 50 s, with sub-second parts
			if ms < 0 {
				ms = -ms
			}
			keys = append(keys, Key{ID: string(rune('A' + i)), CreateDate: base.Add(time.Duration(ms) * time.Millisecond), Active: i%2 == 0})
		}
		m := MatchKeys(slots, keys)
		byID := map[string]Key{}
		for _, k := range keys {
			byID[k.ID] = k
		}
		seen := map[string]bool{}
		for i, sm := range m.Slots {
			if sm.KeyID == "" {
				continue
			}
			if seen[sm.KeyID] {
				t.Fatalf("key %s matched to two slots", sm.KeyID)
			}
			seen[sm.KeyID] = true
			k := byID[sm.KeyID]
			if !k.CreateDate.Truncate(time.Second).Equal(slots[i].LastRotated.Time) {
				t.Fatalf("slot %d (%v) matched key created %v", i, slots[i].LastRotated.Time, k.CreateDate)
			}
			n := 0
			for _, o := range keys {
				if o.CreateDate.Truncate(time.Second).Equal(slots[i].LastRotated.Time) {
					n++
				}
			}
			if n != 1 {
				t.Fatalf("slot %d matched although %d keys share its time", i, n)
			}
		}
		unmatched := map[string]bool{}
		for _, u := range m.UnmatchedKeys {
			unmatched[u.KeyID] = true
		}
		for _, k := range keys {
			if seen[k.ID] == unmatched[k.ID] {
				t.Fatalf("key %s: matched=%v reported unmatched=%v", k.ID, seen[k.ID], unmatched[k.ID])
			}
		}
	})
}
