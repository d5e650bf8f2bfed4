package awsfake_test

import (
	"context"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/athena"
	"github.com/aws/aws-sdk-go-v2/service/athena/types"

	"github.com/seiri-dev/seiri/internal/awsfake"
)

func TestAthenaProtocol(t *testing.T) {
	srv := awsfake.New(awsfake.Scenario{}, awsfake.Options{PageSize: 2})
	t.Cleanup(srv.Close)
	a, b := "a", "b"
	srv.SetAthenaExecutor(awsfake.AthenaExecutorFunc(func(q string) (*awsfake.AthenaResult, error) {
		return &awsfake.AthenaResult{Columns: []string{"x", "y"}, Rows: [][]*string{{&a, nil}, {&b, &b}, {&a, &a}}, BytesScanned: 7}, nil
	}))
	c := athena.New(athena.Options{Region: "us-east-1", BaseEndpoint: aws.String(srv.URL), Credentials: srv.Credentials()})
	ctx := context.Background()

	if _, err := c.StartQueryExecution(ctx, &athena.StartQueryExecutionInput{QueryString: aws.String(" ")}); err == nil ||
		!strings.Contains(err.Error(), "InvalidRequestException") {
		t.Errorf("empty query: %v", err)
	}
	out, err := c.StartQueryExecution(ctx, &athena.StartQueryExecutionInput{QueryString: aws.String("SELECT x, y FROM t"),
		QueryExecutionContext: &types.QueryExecutionContext{Database: aws.String("db")}})
	if err != nil {
		t.Fatal(err)
	}
	id := out.QueryExecutionId
	if _, err := c.GetQueryResults(ctx, &athena.GetQueryResultsInput{QueryExecutionId: id}); err == nil {
		t.Error("results of a query not yet polled to its end")
	}
	q, err := c.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: id})
	if err != nil || q.QueryExecution.Status.State != types.QueryExecutionStateSucceeded || aws.ToInt64(q.QueryExecution.Statistics.DataScannedInBytes) != 7 ||
		aws.ToString(q.QueryExecution.QueryExecutionContext.Database) != "db" {
		t.Fatalf("GetQueryExecution: %+v %v", q, err)
	}
	// Header row plus 3 rows, 2 per page.
	var got []string
	var token *string
	pages := 0
	for {
		r, err := c.GetQueryResults(ctx, &athena.GetQueryResultsInput{QueryExecutionId: id, NextToken: token})
		if err != nil {
			t.Fatal(err)
		}
		pages++
		for _, row := range r.ResultSet.Rows {
			for _, d := range row.Data {
				if d.VarCharValue == nil {
					got = append(got, "NULL")
				} else {
					got = append(got, *d.VarCharValue)
				}
			}
		}
		if token = r.NextToken; token == nil {
			break
		}
	}
	if strings.Join(got, ",") != "x,y,a,NULL,b,b,a,a" || pages != 2 {
		t.Errorf("%d pages: %v", pages, got)
	}
	if _, err := c.GetQueryResults(ctx, &athena.GetQueryResultsInput{QueryExecutionId: id, NextToken: aws.String("bogus")}); err == nil {
		t.Error("bogus NextToken accepted")
	}
	if _, err := c.GetQueryExecution(ctx, &athena.GetQueryExecutionInput{QueryExecutionId: aws.String("nope")}); err == nil {
		t.Error("unknown query id accepted")
	}
	if n := srv.Count("", "GetQueryResults"); n != 4 {
		t.Errorf("%d GetQueryResults calls counted", n)
	}
}
