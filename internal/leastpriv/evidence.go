package leastpriv

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/seiri-dev/seiri/internal/catalog"
	"github.com/seiri-dev/seiri/internal/snapshot"
	"github.com/seiri-dev/seiri/internal/usage"
)

// CloudTrail data resource types seiri reasons about (CloudTrail User
// Guide, "Logging data events": resources.type values).
const (
	DataS3Object       = "AWS::S3::Object"
	DataLambdaFunction = "AWS::Lambda::Function"
	DataDynamoDBTable  = "AWS::DynamoDB::Table"
)

// Coverage is what CloudTrail logs for one account.
type Coverage struct {
	Management bool
	// AllRegions is false when only single-region trails log the account;
	// Regions then lists them.
	AllRegions bool
	Regions    []string
	Data       map[string]bool // data resource type → logged
	Source     string          // what the coverage was learned from
}

// signature identifies what the coverage means for verdicts: accounts with
// equal signatures share the evidence gap of every action.
func (c *Coverage) signature() string {
	if c == nil {
		return "none"
	}
	d := make([]string, 0, len(c.Data))
	for k, v := range c.Data {
		if v {
			d = append(d, k)
		}
	}
	slices.Sort(d)
	return fmt.Sprintf("%t|%t|%s|%s", c.Management, c.AllRegions, strings.Join(c.Regions, ","), strings.Join(d, ","))
}

// notRecorded are actions CloudTrail never records as an event of their own:
// they are checked inside other calls (IAM User Guide, "Granting a user
// permissions to pass a role to an AWS service": iam:PassRole is not an API
// call) or need no permission (STS API reference, GetCallerIdentity).
var notRecorded = map[string]string{
	"iam:passrole":                 "iam:PassRole is checked inside other calls and never logged as an event",
	"sts:getcalleridentity":        "sts:GetCallerIdentity needs no permission and is not an authorization",
	"s3:bypassgovernanceretention": "checked inside object calls, not logged as an event of its own",
}

// dynamodbItemActions are DynamoDB's item-level actions, logged only as data
// events (CloudTrail User Guide, "Logging data events": DynamoDB).
var dynamodbItemActions = map[string]bool{
	"getitem": true, "putitem": true, "updateitem": true, "deleteitem": true, "query": true, "scan": true,
	"batchgetitem": true, "batchwriteitem": true, "conditioncheckitem": true,
	"partiqlselect": true, "partiqlinsert": true, "partiqlupdate": true, "partiqldelete": true,
}

// dataEventType returns the CloudTrail data resource type of an action whose
// calls are data events, or "". S3 object-level actions are those whose only
// resource type is "object", plus the object listings (CloudTrail logs
// ListObjects/ListObjectVersions/ListParts as S3 data events).
func dataEventType(a *catalog.Action) string {
	svc := a.Service.Prefix
	lname := strings.ToLower(a.Name)
	switch svc {
	case "s3":
		switch lname {
		case "listbucket", "listbucketversions", "listmultipartuploadparts":
			return DataS3Object
		}
		for _, r := range a.Resources {
			if r.Type.Name == "object" {
				return DataS3Object
			}
		}
		return ""
	case "lambda":
		if lname == "invokefunction" {
			return DataLambdaFunction
		}
	case "dynamodb":
		if dynamodbItemActions[lname] {
			return DataDynamoDBTable
		}
	}
	return ""
}

// Coverages works out, per account, what CloudTrail logs. From the snapshot's
// trails when it lists any (an organization trail logs every member
// account; a trail that is not logging logs nothing); when the snapshot lists
// no trail at all (demo, import), from the usage store itself: an account
// with events has its management events logged, and a data event type is
// logged where events of that type were seen.
func Coverages(s *snapshot.Snapshot, seen SeenData) map[string]*Coverage {
	out := map[string]*Coverage{}
	var orgTrails []snapshot.Trail
	anyTrail := false
	for _, a := range s.Accounts {
		for _, t := range a.Trails {
			anyTrail = true
			if t.IsOrganizationTrail && t.IsLogging {
				orgTrails = append(orgTrails, t)
			}
		}
	}
	accounts := map[string]bool{}
	for _, a := range s.Accounts {
		accounts[a.AccountID] = true
	}
	if s.Organization != nil {
		for _, a := range s.Organization.Accounts {
			accounts[a.ID] = true
		}
	}
	for id := range accounts {
		c := &Coverage{Data: map[string]bool{}}
		out[id] = c
		if !anyTrail {
			c.Source = "usage store (the snapshot lists no trails)"
			if d, ok := seen[id]; ok {
				c.Management, c.AllRegions = true, true
				for k := range d {
					c.Data[k] = true
				}
			}
			continue
		}
		var trails []snapshot.Trail
		trails = append(trails, orgTrails...)
		if a := s.Account(id); a != nil {
			for _, t := range a.Trails {
				if t.IsLogging && !t.IsOrganizationTrail && usage.AccountOfARN(t.ARN) == id {
					trails = append(trails, t)
				}
			}
		}
		var names []string
		for _, t := range trails {
			names = append(names, t.Name)
			applyTrail(c, t)
		}
		c.Source = "trails: " + strings.Join(names, ", ")
		if len(names) == 0 {
			c.Source = "no logging trail"
		}
	}
	return out
}

type eventSelector struct {
	ReadWriteType           string `json:"ReadWriteType"`
	IncludeManagementEvents *bool  `json:"IncludeManagementEvents"`
	DataResources           []struct {
		Type   string   `json:"Type"`
		Values []string `json:"Values"`
	} `json:"DataResources"`
}

type advancedSelector struct {
	FieldSelectors []struct {
		Field  string   `json:"Field"`
		Equals []string `json:"Equals"`
	} `json:"FieldSelectors"`
}

// applyTrail adds what one logging trail records to c. A trail without
// selectors logs management events (CloudTrail's default).
func applyTrail(c *Coverage, t snapshot.Trail) {
	mgmt, data, err := ParseSelectors(t.EventSelectors, t.AdvancedEventSelectors)
	if err != nil {
		// A selector we cannot read: assume management events only, the
		// conservative reading for data events.
		mgmt, data = true, nil
	}
	if mgmt {
		c.Management = true
		if t.IsMultiRegion {
			c.AllRegions = true
		} else if !slices.Contains(c.Regions, t.HomeRegion) {
			c.Regions = append(c.Regions, t.HomeRegion)
		}
	}
	for _, d := range data {
		c.Data[d] = true
	}
}

// ParseSelectors reads a trail's event selectors (GetEventSelectors, as JSON)
// into whether management events are logged and which data resource types.
// Only write-only selectors count as not logging reads, so they do not
// count as covering (conservative).
func ParseSelectors(basic, advanced json.RawMessage) (management bool, data []string, err error) {
	if len(basic) == 0 && len(advanced) == 0 {
		return true, nil, nil
	}
	if len(advanced) > 0 {
		var sels []advancedSelector
		if err := json.Unmarshal(advanced, &sels); err != nil {
			return false, nil, fmt.Errorf("advanced event selectors: %v", err)
		}
		for _, s := range sels {
			var cat, typ []string
			readOnlyOnly := false
			for _, f := range s.FieldSelectors {
				switch f.Field {
				case "eventCategory":
					cat = f.Equals
				case "resources.type":
					typ = f.Equals
				case "readOnly":
					readOnlyOnly = len(f.Equals) == 1
				}
			}
			if readOnlyOnly {
				continue
			}
			if slices.Contains(cat, "Management") {
				management = true
			}
			if slices.Contains(cat, "Data") {
				data = append(data, typ...)
			}
		}
		return management, data, nil
	}
	var sels []eventSelector
	if err := json.Unmarshal(basic, &sels); err != nil {
		return false, nil, fmt.Errorf("event selectors: %v", err)
	}
	for _, s := range sels {
		if s.ReadWriteType != "" && s.ReadWriteType != "All" {
			continue
		}
		if s.IncludeManagementEvents == nil || *s.IncludeManagementEvents {
			management = true
		}
		for _, d := range s.DataResources {
			data = append(data, d.Type)
		}
	}
	return management, data, nil
}

// SeenData records, per account, the data event types the usage store has
// events of (used when the snapshot lists no trails).
type SeenData map[string]map[string]bool
