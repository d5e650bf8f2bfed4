package usage

import "testing"

// TestComparedWithEvery: a delivery file under the name CloudTrail gives
// its folder is an object of its own; under any other name (a copy beside
// it, another folder's name) or by content it may be a copy of any counted
// object (CloudTrail User Guide, "CloudTrail log file name format").
func TestComparedWithEvery(t *testing.T) {
	const dir = "AWSLogs/111122223333/CloudTrail/us-east-1/2024/03/04/"
	for _, c := range []struct {
		path string
		want bool
	}{
		{dir + "111122223333_CloudTrail_us-east-1_20240304T0005Z_Ab3dEf9hIjK1mN0p.json.gz", false},
		{dir + "111122223333_CloudTrail_us-east-1_20240304T0005Z_Ab3dEf9hIjK1mN0p.json", false},
		{"bucket/prefix/" + dir + "111122223333_CloudTrail_us-east-1_20240304T2359Z_0000000000000000.json.gz", false},
		{dir + "111122223333_CloudTrail_us-east-1_20240304T0005Z_Ab3dEf9hIjK1mN0p copy.json.gz", true},
		{dir + "111122223333_CloudTrail_us-east-1_20240304T0005Z_Ab3dEf9hIjK1mN0px.json.gz", true},
		{dir + "111122223333_CloudTrail_us-east-1_20240304T2405Z_Ab3dEf9hIjK1mN0p.json.gz", true},
		{dir + "111122223333_CloudTrail_eu-west-1_20240304T0005Z_Ab3dEf9hIjK1mN0p.json.gz", true}, // another folder's
		{dir + "111122223333_CloudTrail_us-east-1_20240305T0005Z_Ab3dEf9hIjK1mN0p.json.gz", true}, // another day's
	} {
		id, _, ok := DeliveryID(c.path)
		if !ok {
			t.Errorf("%s: no delivery identity", c.path)
			continue
		}
		if got := ComparedWithEvery(id); got != c.want {
			t.Errorf("%s: compared with every counted object %v, want %v", c.path, got, c.want)
		}
	}
	if !ComparedWithEvery(ContentID(Digest([]byte("{}")))) {
		t.Error("a content identity is compared with every counted object")
	}
}
