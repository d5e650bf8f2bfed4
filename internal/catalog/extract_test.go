package catalog

import (
	"slices"
	"strings"
	"testing"
)

// unconfirmed lists the curated entries that no source read so far
// confirms, each with why. TestCuratedTableAgainstExtract keeps it exact:
// an entry the extract comes to confirm must leave the list.
var unconfirmed = func() map[string]string {
	const (
		athena = "the Athena page read (fine-grained-access-to-glue-resources) shows glue:GetTable and glue:GetPartitions only in DDL examples (CREATE/DROP TABLE); security-iam-athena says queries need permissions on Glue databases and tables without naming actions; the Step Functions policy template for StartQueryExecution lists them among Glue write actions (a superset, not a requirement)"
		glue   = "the Glue page read says users need iam:PassRole for the role Glue works as, but nothing on updates; the only text naming UpdateJob with iam:PassRole is a third-party troubleshooting note (walliz.cc), not an AWS page"
		cwl    = "indirect only: the CloudTrail full-access policy read grants iam:PassRole with iam:PassedToService cloudtrail.amazonaws.com; no sentence read ties it to CloudWatchLogsRoleArn"
		orgUpd = "the organization-trail prerequisites read name these permissions for whoever creates an organization trail; the CLI page read says update-trail --is-organization-trail needs \"sufficient permissions\" without naming them"
	)
	return map[string]string{
		"athena:StartQueryExecution > glue:GetTable":                                 athena,
		"athena:StartQueryExecution > glue:GetPartitions":                            athena,
		"glue:UpdateJob > iam:PassRole":                                              glue,
		"glue:UpdateCrawler > iam:PassRole":                                          glue,
		"cloudtrail:CreateTrail > iam:PassRole":                                      cwl,
		"cloudtrail:UpdateTrail > iam:PassRole":                                      cwl,
		"cloudtrail:UpdateTrail > organizations:ListAWSServiceAccessForOrganization": orgUpd,
		"cloudtrail:UpdateTrail > iam:GetRole":                                       orgUpd,
		"cloudtrail:UpdateTrail > iam:CreateServiceLinkedRole":                       orgUpd,
	}
}()

// The extract reads; every fact names actions the catalog knows and a
// source; every source is used.
func TestDependentExtractReads(t *testing.T) {
	facts, sources, err := DependentFacts()
	if err != nil {
		t.Fatal(err)
	}
	if len(facts) < 25 || len(sources) < 10 {
		t.Fatalf("extract has %d facts from %d sources", len(facts), len(sources))
	}
	used := map[string]bool{}
	columns := 0
	for _, f := range facts {
		used[f.Source] = true
		if f.Column || f.Operations {
			columns++
		}
		for _, a := range append([]string{f.Action}, f.Needs...) {
			if _, ok := Embedded().Action(a); !ok {
				t.Errorf("fact %s → %v (%s): %s is no catalog action", f.Action, f.Needs, f.Source, a)
			}
		}
	}
	for _, s := range sources {
		if !used[s.ID] {
			t.Errorf("source %s is cited by no fact", s.ID)
		}
	}
	if columns == 0 {
		t.Error("no fact of the reference's own tables")
	}
}

// Every curated entry is confirmed by a fact of the extract (a page read,
// with a quote) or is listed in unconfirmed with why; the list holds no
// entry the extract confirms, nor one the table lacks. A confirmed entry
// agrees with its source on whether every call needs it.
func TestCuratedTableAgainstExtract(t *testing.T) {
	if _, _, err := DependentFacts(); err != nil {
		t.Fatal(err)
	}
	curated := map[string]bool{}
	confirmed := 0
	for _, d := range Dependents() {
		k := d.Action + " > " + d.Needs
		curated[k] = true
		f, src, ok := d.Checked()
		reason, listed := unconfirmed[k]
		switch {
		case ok && listed:
			t.Errorf("%s is confirmed by %s (%s): drop it from unconfirmed", k, src.ID, f.Quote)
		case !ok && !listed:
			t.Errorf("%s: no fact of the extract confirms it; add one read from its page (%s), or list it in unconfirmed with why", k, d.Source)
		case listed && reason == "":
			t.Errorf("%s: unconfirmed without a reason", k)
		case ok && !f.reference() && f.Conditional && d.When == "":
			t.Errorf("%s: the table says every call needs it, %s says only some (%q)", k, src.ID, f.Quote)
		case ok && !f.reference() && !f.Conditional && d.When != "":
			t.Errorf("%s: the table says only when %s, %s says every call (%q)", k, d.When, src.ID, f.Quote)
		}
		if ok {
			confirmed++
			if src.URL == "" || src.Copy == "" {
				t.Errorf("%s: source %q of the confirming fact is not in the extract", k, f.Source)
			}
		}
	}
	for k := range unconfirmed {
		if !curated[k] {
			t.Errorf("unconfirmed lists %s, which the table does not have", k)
		}
	}
	if confirmed < 35 {
		t.Errorf("only %d curated entries confirmed", confirmed)
	}
	t.Logf("%d of %d curated entries confirmed by the extract, %d not", confirmed, len(Dependents()), len(unconfirmed))
}

// The reference's column facts reach every catalog New builds: the
// embedded one, and one built from other data (as `catalog update` does).
func TestColumnFactsInEveryCatalog(t *testing.T) {
	facts, _, err := DependentFacts()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, f := range facts {
		if !f.Column && !f.Operations {
			continue
		}
		a, _ := Embedded().Action(f.Action)
		for _, need := range f.Needs {
			n++
			na, _ := Embedded().Action(need)
			if !slices.Contains(a.Dependent, na.FullName()) {
				t.Errorf("embedded %s.Dependent = %v, want %s (column fact of %s)", f.Action, a.Dependent, na.FullName(), f.Source)
			}
		}
	}
	if n == 0 {
		t.Fatal("no column fact with a dependent action")
	}
	fresh := New(Source{Name: "test"}, []*Service{
		{Prefix: "kms", Actions: []*Action{{Name: "CreateKey"}, {Name: "PutKeyPolicy", Access: PermissionsManagement}, {Name: "TagResource", Access: Tagging}}},
		{Prefix: "iam", Actions: []*Action{{Name: "CreateServiceLinkedRole", Access: Write}}},
	})
	a, _ := fresh.Action("kms:CreateKey")
	if want := []string{"iam:CreateServiceLinkedRole", "kms:PutKeyPolicy", "kms:TagResource"}; !slices.Equal(a.Dependent, want) {
		t.Errorf("fresh kms:CreateKey.Dependent = %v, want %v", a.Dependent, want)
	}
}

// DependentsOf: the curated entries first (with their condition), then
// what only the data lists, on the dependent action's own resources, with
// the page of the extract's fact; one granting permissions management is
// never needed on the data's word alone.
func TestDependentsOfCombinesTableAndData(t *testing.T) {
	got := Embedded().DependentsOf("kms:CreateKey")
	byNeed := map[string]Dependent{}
	for _, d := range got {
		byNeed[d.Needs] = d
	}
	if len(got) != 3 || len(byNeed) != 3 {
		t.Fatalf("kms:CreateKey dependents = %+v, want 3 distinct", got)
	}
	if d := byNeed["kms:PutKeyPolicy"]; d.When == "" || d.Source != docSARKMS {
		t.Errorf("kms:PutKeyPolicy: %+v, want the curated conditional entry", d)
	}
	slr := byNeed["iam:CreateServiceLinkedRole"]
	if slr.When != "" || slr.Scope != OtherResource || slr.Source != docSARKMS {
		t.Errorf("iam:CreateServiceLinkedRole: %+v, want always needed, on its own resources, citing the reference's KMS page", slr)
	}
	fresh := New(Source{Name: "test"}, []*Service{
		{Prefix: "example", Actions: []*Action{{Name: "Run", Dependent: []string{"iam:PutRolePolicy", "iam:GetRole", "iam:TagRole"}}}},
		{Prefix: "iam", Actions: []*Action{{Name: "PutRolePolicy", Access: PermissionsManagement}, {Name: "GetRole", Access: Read}, {Name: "TagRole", Access: Tagging}}},
	})
	deps := fresh.DependentsOf("example:run")
	if len(deps) != 3 || deps[0].Needs != "iam:PutRolePolicy" || deps[0].When == "" || deps[1].When != "" || deps[2].When == "" ||
		!strings.Contains(deps[1].Source, "(catalog test)") {
		t.Errorf("data-only dependents = %+v, want iam:PutRolePolicy and iam:TagRole conditional (permissions management, tagging), iam:GetRole always, citing the catalog", deps)
	}
}

func TestParseExtractRejects(t *testing.T) {
	src := `{"id":"s","title":"t","url":"https://docs.aws.amazon.com/x","copy":"c"}`
	for in, want := range map[string]string{
		`{"sources":[],"facts":[],"extra":1}`:                                                                                                          "unknown field",
		`{"sources":[{"id":"s","url":"https://example.com/x","copy":"c"}],"facts":[]}`:                                                                 "no AWS page",
		`{"sources":[` + src + `,` + src + `],"facts":[]}`:                                                                                             "duplicate id",
		`{"sources":[` + src + `],"facts":[{"action":"kmsCreateKey","needs":["a:b"],"source":"s","quote":"q"}]}`:                                       "not service:Name",
		`{"sources":[` + src + `],"facts":[{"action":"kms:CreateKey","needs":["a:b"],"source":"z","quote":"q"}]}`:                                      "unknown source",
		`{"sources":[` + src + `],"facts":[{"action":"kms:CreateKey","needs":["a:b"],"source":"s"}]}`:                                                  "no quote",
		`{"sources":[` + src + `],"facts":[{"action":"kms:CreateKey","needs":[],"source":"s","quote":"q"}]}`:                                           "at least one",
		`{"sources":[` + src + `],"facts":[{"action":"kms:CreateKey","needs":["a:b"],"column":true,"conditional":true,"source":"s","quote":"q"}]}`:     "nothing of conditions",
		`{"sources":[` + src + `],"facts":[{"action":"kms:CreateKey","needs":["a:b"],"operations":true,"conditional":true,"source":"s","quote":"q"}]}`: "nothing of conditions",
		`{"sources":[` + src + `],"facts":[{"action":"kms:CreateKey","needs":["a:b"],"column":true,"operations":true,"source":"s","quote":"q"}]}`:      "not both",
		`{"sources":[` + src + `],"facts":[{"action":"kms:CreateKey","needs":[],"operations":true,"source":"s","quote":"q"}]}`:                         "operations fact needs",
		`{"sources":[` + src + `],"facts":[{"action":"kms:CreateKey","needs":["a:b","A:B"],"source":"s","quote":"q"}]}`:                                "listed twice",
		`{"sources":[],"facts":[]} {}`: "after the object",
	} {
		if _, err := parseExtract([]byte(in)); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("parseExtract(%s) = %v, want an error with %q", in, err, want)
		}
	}
}
