package athena_test

import (
	"context"
	"slices"
	"testing"

	"github.com/seiri-dev/seiri/internal/awsfake"
	"github.com/seiri-dev/seiri/internal/trail/athena"
)

// TestCannedMultiActionRows: the edge corpus's multi-item requests (taken
// from AWS documentation, internal/trail/testdata/public) give the Athena
// engine one (action, resource) row per item, as the local engine does
// (TestCannedEdgeResult compares every row with it).
func TestCannedMultiActionRows(t *testing.T) {
	res := cannedEdgeResult(t)
	srv := awsfake.New(awsfake.Scenario{})
	t.Cleanup(srv.Close)
	srv.SetAthenaExecutor(awsfake.AthenaExecutorFunc(func(string) (*awsfake.AthenaResult, error) { return &res, nil }))
	got, err := athena.Scan(context.Background(), newRunner(srv), athena.Options{Table: "seiri.cloudtrail"})
	if err != nil {
		t.Fatal(err)
	}
	type use struct{ action, resource string }
	var have []use
	for _, r := range got.Rows {
		have = append(have, use{r.Action, r.Resource})
	}
	for _, want := range []use{
		// TransactWriteItems: Put, Update, Delete, ConditionCheck on Music.
		{"dynamodb:PutItem", "arn:aws:dynamodb:us-west-2:123456789012:table/Music"},
		{"dynamodb:UpdateItem", "arn:aws:dynamodb:us-west-2:123456789012:table/Music"},
		{"dynamodb:DeleteItem", "arn:aws:dynamodb:us-west-2:123456789012:table/Music"},
		{"dynamodb:ConditionCheckItem", "arn:aws:dynamodb:us-west-2:123456789012:table/Music"},
		// BatchExecuteStatement: an UPDATE and an INSERT.
		{"dynamodb:PartiQLUpdate", "arn:aws:dynamodb:us-west-2:123456789012:table/Music"},
		{"dynamodb:PartiQLInsert", "arn:aws:dynamodb:us-west-2:123456789012:table/Music"},
		// TransactGetItems (API shape), ExecuteTransaction, BatchWriteItem.
		{"dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/Orders"},
		{"dynamodb:GetItem", "arn:aws:dynamodb:us-east-1:111122223333:table/Customers"},
		{"dynamodb:PartiQLDelete", "arn:aws:dynamodb:us-east-1:111122223333:table/Carts"},
		{"dynamodb:BatchWriteItem", "arn:aws:dynamodb:us-east-1:111122223333:table/Orders"},
		{"dynamodb:BatchWriteItem", "arn:aws:dynamodb:us-east-1:111122223333:table/Carts"},
		// BatchGetSecretValue: GetSecretValue per secret; ListSecrets with filters.
		{"secretsmanager:GetSecretValue", "arn:aws:secretsmanager:us-east-1:111122223333:secret:MySecret2-a1b2c3"},
		{"secretsmanager:ListSecrets", ""},
		// ReEncrypt: from the source key, to the destination key.
		{"kms:ReEncryptFrom", "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		{"kms:ReEncryptTo", "arn:aws:kms:us-east-1:111122223333:key/0987dcba-09fe-87dc-65ba-ab0987654321"},
	} {
		if !slices.Contains(have, want) {
			t.Errorf("no row %s on %q", want.action, want.resource)
		}
	}
}
