package trail

import (
	"github.com/seiri-dev/seiri/internal/catalog"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMapperMap(t *testing.T) {
	m := &Mapper{}
	tests := []struct {
		source, name, typ string
		kind              MapKind
		actions           []string
	}{
		{"s3.amazonaws.com", "GetObject", "AwsApiCall", Mapped, []string{"s3:GetObject"}},
		{"s3.amazonaws.com", "ListObjects", "", Mapped, []string{"s3:ListBucket"}},
		{"s3.amazonaws.com", "ListObjectsV2", "", Mapped, []string{"s3:ListBucket"}},
		{"s3.amazonaws.com", "HeadBucket", "", Mapped, []string{"s3:ListBucket"}},
		{"s3.amazonaws.com", "HeadObject", "", Mapped, []string{"s3:GetObject"}},
		{"s3.amazonaws.com", "ListBuckets", "", Mapped, []string{"s3:ListAllMyBuckets"}},
		{"s3.amazonaws.com", "ListObjectVersions", "", Mapped, []string{"s3:ListBucketVersions"}},
		{"s3.amazonaws.com", "PutBucketEncryption", "", Mapped, []string{"s3:PutEncryptionConfiguration"}},
		{"s3.amazonaws.com", "DeleteObjects", "", Mapped, []string{"s3:DeleteObject"}},
		{"s3.amazonaws.com", "GetObjectLockConfiguration", "", Mapped, []string{"s3:GetBucketObjectLockConfiguration"}},
		{"s3.amazonaws.com", "DeleteBucketLifecycle", "", Mapped, []string{"s3:PutLifecycleConfiguration"}},
		{"s3.amazonaws.com", "CopyObject", "", Mapped, []string{"s3:GetObject", "s3:PutObject"}},
		{"kms.amazonaws.com", "ReEncrypt", "", Mapped, []string{"kms:ReEncryptFrom", "kms:ReEncryptTo"}},
		{"budgets.amazonaws.com", "CreateBudget", "", Mapped, []string{"budgets:ModifyBudget"}},
		{"lambda.amazonaws.com", "AddPermission20150331v2", "", Mapped, []string{"lambda:AddPermission"}},
		{"lambda.amazonaws.com", "ListFunctions20150331", "", Mapped, []string{"lambda:ListFunctions"}},
		{"lambda.amazonaws.com", "Invoke", "", Mapped, []string{"lambda:InvokeFunction"}},
		{"cloudfront.amazonaws.com", "CreateDistribution2020_05_31", "", Mapped, []string{"cloudfront:CreateDistribution"}},
		{"monitoring.amazonaws.com", "PutMetricAlarm", "", Mapped, []string{"cloudwatch:PutMetricAlarm"}},
		{"tagging.amazonaws.com", "GetResources", "", Mapped, []string{"tag:GetResources"}},
		{"streams.dynamodb.amazonaws.com", "GetRecords", "", Mapped, []string{"dynamodb:GetRecords"}},
		{"pinpoint.amazonaws.com", "SendMessages", "", Mapped, []string{"mobiletargeting:SendMessages"}},
		{"sqs.amazonaws.com", "SendMessageBatch", "", Mapped, []string{"sqs:SendMessage"}},
		{"signin.amazonaws.com", "ConsoleLogin", "AwsConsoleSignIn", NotAuthz, []string{"signin:ConsoleLogin"}},
		{"sts.amazonaws.com", "GetCallerIdentity", "AwsApiCall", NotAuthz, []string{"sts:GetCallerIdentity"}},
		{"kms.amazonaws.com", "RotateKey", "AwsServiceEvent", NotAuthz, []string{"kms:RotateKey"}},
		{"example.com", "Foo", "", Unmapped, nil},
		{"s3.amazonaws.com", "", "", Unmapped, nil},
		{"s3.amazonaws.com", "Get Object", "", Unmapped, nil},
		{".amazonaws.com", "X", "", Unmapped, nil},
	}
	for _, tt := range tests {
		t.Run(tt.source+"/"+tt.name, func(t *testing.T) {
			got := m.Map(tt.source, tt.name, tt.typ)
			if got.Kind != tt.kind {
				t.Fatalf("kind %d, want %d", got.Kind, tt.kind)
			}
			var acts []string
			for _, u := range got.Actions {
				acts = append(acts, u.Action)
			}
			if diff := cmp.Diff(tt.actions, acts); diff != "" {
				t.Errorf("actions (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMapperDynamicPartiQL(t *testing.T) {
	tests := []struct{ stmt, action, table string }{
		{`SELECT * FROM "orders" WHERE pk = ?`, "dynamodb:PartiQLSelect", "orders"},
		{`insert into Orders value {'pk': 1}`, "dynamodb:PartiQLInsert", "Orders"},
		{`UPDATE "t.1" SET a = 1`, "dynamodb:PartiQLUpdate", "t.1"},
		{`  DELETE FROM t WHERE pk = 1`, "dynamodb:PartiQLDelete", "t"},
		{`EXPLAIN SELECT 1`, "", ""},
		{``, "", ""},
	}
	for _, tt := range tests {
		if got := partiQLAction([]byte(tt.stmt)); got != tt.action {
			t.Errorf("partiQLAction(%q) = %q, want %q", tt.stmt, got, tt.action)
		}
		if tt.action != "" {
			if got := string(partiQLTable([]byte(tt.stmt))); got != tt.table {
				t.Errorf("partiQLTable(%q) = %q, want %q", tt.stmt, got, tt.table)
			}
		}
	}
	if got := (&Mapper{}).Map("dynamodb.amazonaws.com", "ExecuteStatement", ""); !got.Dynamic {
		t.Errorf("ExecuteStatement not dynamic: %+v", got)
	}
}

type listCatalog []string

func (c listCatalog) ActionExists(a string) bool { return slices.Contains(c, a) }

func TestMapperWithCatalogMarksUnknownUnmapped(t *testing.T) {
	m := &Mapper{Catalog: listCatalog{"s3:GetObject"}}
	if got := m.Map("s3.amazonaws.com", "GetObject", ""); got.Kind != Mapped {
		t.Errorf("GetObject: %+v", got)
	}
	if got := m.Map("s3.amazonaws.com", "MadeUpCall", ""); got.Kind != Unmapped {
		t.Errorf("MadeUpCall: %+v", got)
	}
	// The exception table is trusted: its actions are checked by TestMappingActionsExistInCatalog.
	if got := m.Map("s3.amazonaws.com", "HeadObject", ""); got.Kind != Mapped {
		t.Errorf("HeadObject: %+v", got)
	}
}

// MappingCatalogForTest returns the catalog the mapping's actions are checked
// against: the embedded IAM catalog.
func MappingCatalogForTest(t *testing.T) ActionChecker {
	t.Helper()
	return catalog.Default()
}

// TestMappingActionsExistInCatalog: every action the exception table can
// produce, and the prefixes of renamed services, exist in the IAM catalog.
func TestMappingActionsExistInCatalog(t *testing.T) {
	cat := MappingCatalogForTest(t)
	for _, a := range Actions() {
		if !cat.ActionExists(a) {
			t.Errorf("mapping produces %s, which the catalog does not know", a)
		}
	}
	m := &Mapper{}
	for _, ev := range [][2]string{
		{"monitoring.amazonaws.com", "PutMetricAlarm"}, {"tagging.amazonaws.com", "GetResources"},
		{"streams.dynamodb.amazonaws.com", "GetRecords"}, {"pinpoint.amazonaws.com", "SendMessages"},
		{"lambda.amazonaws.com", "AddPermission20150331v2"}, {"lambda.amazonaws.com", "ListFunctions20150331"},
		{"cloudfront.amazonaws.com", "CreateDistribution2020_05_31"}, {"email.amazonaws.com", "SendEmail"},
		{"rdsdata.amazonaws.com", "ExecuteStatement"},
	} {
		for _, u := range m.Map(ev[0], ev[1], "").Actions {
			if !cat.ActionExists(u.Action) {
				t.Errorf("%s %s maps to %s, which the catalog does not know", ev[0], ev[1], u.Action)
			}
		}
	}
}
