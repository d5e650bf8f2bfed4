package catalog

import (
	"slices"
	"strings"
	"testing"
)

// lambdaReference is a service document with the operations table, in the
// layout of AWS's service reference ("Operations": [{"Name",
// "AuthorizedActions": [{"Name", "Service"}], "SDK": [...]}]).
const lambdaReference = `{
  "Name": "lambda",
  "Actions": [
    {"Name": "CreateFunction", "Annotations": {"Properties": {"IsWrite": true}}, "Resources": [{"Name": "function"}]},
    {"Name": "InvokeFunction", "Annotations": {"Properties": {"IsWrite": true}}, "Resources": [{"Name": "function"}]},
    {"Name": "GetFunction", "Resources": [{"Name": "function"}]}
  ],
  "Resources": [{"Name": "function", "ARNFormats": ["arn:${Partition}:lambda:${Region}:${Account}:function:${FunctionName}"]}],
  "Operations": [
    {"Name": "CreateFunction",
     "AuthorizedActions": [
       {"Name": "CreateFunction", "Service": "lambda"},
       {"Name": "PassRole", "Service": "iam"},
       {"Name": "GetObject", "Service": "s3"}],
     "SDK": [{"Name": "lambda", "Method": "create_function", "Package": "Boto3"}]},
    {"Name": "Invoke",
     "AuthorizedActions": [{"Name": "InvokeFunction", "Service": "lambda"}, {"Name": "Decrypt", "Service": "kms"}]},
    {"Name": "GetFunction", "AuthorizedActions": [{"Name": "GetFunction", "Service": "lambda"}]}
  ]
}`

// The official reference's operations table: an operation named like an
// action that authorizes other actions makes them that action's dependent
// actions; an operation named otherwise (Invoke → lambda:InvokeFunction)
// is left alone; the base catalog's lists are not written into.
func TestOperationsTableDependents(t *testing.T) {
	base := New(Source{Name: "base"}, []*Service{{Prefix: "lambda", Actions: []*Action{{Name: "CreateFunction"}}}})
	baseCF, _ := base.Action("lambda:CreateFunction")
	// A dependent only the base lists, in an array with room to spare.
	baseCF.Dependent = append(make([]string, 0, 8), "ec2:DescribeVpcs")

	s, err := ParseServiceReference([]byte(lambdaReference), base)
	if err != nil {
		t.Fatal(err)
	}
	byName := map[string]*Action{}
	for _, a := range s.Actions {
		byName[a.Name] = a
	}
	if got, want := byName["CreateFunction"].Dependent, []string{"ec2:DescribeVpcs", "iam:PassRole", "s3:GetObject"}; !slices.Equal(got, want) {
		t.Errorf("CreateFunction.Dependent = %v, want %v (the base's, then the operation's)", got, want)
	}
	if got := byName["InvokeFunction"].Dependent; len(got) != 0 {
		t.Errorf("InvokeFunction.Dependent = %v: the operation Invoke is no action of that name", got)
	}
	if got := byName["GetFunction"].Dependent; len(got) != 0 {
		t.Errorf("GetFunction.Dependent = %v, want none", got)
	}
	if len(baseCF.Dependent) != 1 || baseCF.Dependent[:2][1] != "" {
		t.Errorf("the base catalog's Dependent was written into: %v", baseCF.Dependent[:2])
	}

	// Through New, as `catalog update` builds the catalog: the data-only
	// dependents reach DependentsOf, citing the catalog.
	c := New(Source{Name: "official"}, []*Service{s, {Prefix: "iam", Actions: []*Action{{Name: "PassRole", Access: Write}}},
		{Prefix: "s3", Actions: []*Action{{Name: "GetObject", Access: Read}}}})
	var needs []string
	for _, d := range c.DependentsOf("lambda:CreateFunction") {
		needs = append(needs, d.Needs)
		if d.Needs == "s3:GetObject" && (d.When != "" || !strings.Contains(d.Source, "(catalog official)")) {
			t.Errorf("s3:GetObject: %+v, want always needed, citing the catalog", d)
		}
	}
	// iam:PassRole comes first as the curated entry (with its page).
	if !slices.Equal(needs, []string{"iam:PassRole", "ec2:DescribeVpcs", "s3:GetObject"}) {
		t.Errorf("DependentsOf(lambda:CreateFunction) needs = %v", needs)
	}
}

func TestOperationsTableErrors(t *testing.T) {
	for in, want := range map[string]string{
		`{"Name":"lambda","Operations":[{"AuthorizedActions":[]}]}`:                                            "Operations[0]: missing Name",
		`{"Name":"lambda","Operations":[{"Name":"X","AuthorizedActions":[{"Name":"PassRole"}]}]}`:              "Operations[0] (X): AuthorizedActions[0]",
		`{"Name":"lambda","Operations":[{"Name":"X","AuthorizedActions":[{"Name":"a:b","Service":"iam"}]}]}`:   "malformed",
		`{"Name":"lambda","Operations":[{"Name":"X","AuthorizedActions":[{"Name":"Pass*","Service":"iam"}]}]}`: "malformed",
		`{"Name":"lambda","Operations":{"Name":"X"}}`:                                                          "Operations",
	} {
		if _, err := ParseServiceReference([]byte(in), nil); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("ParseServiceReference(%s) error = %v, want %q", in, err, want)
		}
	}
}
