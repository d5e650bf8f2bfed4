package athena_test

import (
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/seiri-dev/seiri/internal/trail/athena"
)

func TestWindows(t *testing.T) {
	d := func(s string) time.Time { t, _ := time.Parse(time.RFC3339, s); return t }
	tests := []struct {
		name         string
		since, until time.Time
		want         []athena.Window
	}{
		{"short", d("2026-01-05T10:00:00Z"), d("2026-01-20T00:00:00Z"), []athena.Window{{d("2026-01-05T10:00:00Z"), d("2026-01-20T00:00:00Z")}}},
		{"open", d("2026-01-05T10:00:00Z"), time.Time{}, []athena.Window{{d("2026-01-05T10:00:00Z"), time.Time{}}}},
		{"months", d("2026-01-05T10:00:00Z"), d("2026-03-02T00:00:00Z"), []athena.Window{
			{d("2026-01-05T10:00:00Z"), d("2026-02-01T00:00:00Z")},
			{d("2026-02-01T00:00:00Z"), d("2026-03-01T00:00:00Z")},
			{d("2026-03-01T00:00:00Z"), d("2026-03-02T00:00:00Z")}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, athena.Windows(tc.since, tc.until, 31)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuildFiltersAndQuoting(t *testing.T) {
	q := athena.Query{Table: "seiri.cloudtrail", Samples: 5,
		Window:   athena.Window{Since: time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC), Until: time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)},
		Accounts: []string{"111111111111", "22'2"}, Regions: []string{"eu-west-1"}}
	for _, d := range []athena.Dialect{athena.Trino{}, athena.DuckDB{}} {
		sql := athena.Build(d, q)
		for _, want := range []string{
			"FROM seiri.cloudtrail",
			`"timestamp" >= '2026/02/03'`, "eventtime >= '2026-02-03T04:05:06Z'",
			`"timestamp" <= '2026/03/01'`, "eventtime < '2026-03-01T00:00:00Z'",
			`"account" IN ('111111111111', '22''2')`, `"region" IN ('eu-west-1')`,
			"count(*) AS n",
		} {
			if !strings.Contains(sql, want) {
				t.Errorf("%s: SQL lacks %s", d.Name(), want)
			}
		}
	}
	if sql := athena.Build(athena.Trino{}, athena.Query{Table: "t"}); strings.Contains(sql, "\n  WHERE ") {
		t.Errorf("no filter, yet a WHERE:\n%s", sql)
	}
}

func TestTableValidateAndDDL(t *testing.T) {
	good := athena.Table{Database: "seiri", Name: "cloudtrail", Bucket: "org-trail"}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	bad := []athena.Table{
		{Database: "Seiri", Name: "t", Bucket: "b-b"},
		{Database: "d", Name: "t;", Bucket: "b-b"},
		{Database: "d", Name: "t", Bucket: "B"},
		{Database: "d", Name: "t", Bucket: "b-b", Prefix: "x'y"},
		{Database: "d", Name: "t", Bucket: "b-b", OrgID: "o-1"},
		{Database: "d", Name: "t", Bucket: "b-b", Accounts: []string{"1"}},
		{Database: "d", Name: "t", Bucket: "b-b", Regions: []string{"mars"}},
	}
	for _, tb := range bad {
		if tb.Validate() == nil {
			t.Errorf("%+v: valid", tb)
		}
	}
	ddl := good.CreateTable()
	for _, want := range []string{
		"CREATE EXTERNAL TABLE IF NOT EXISTS seiri.cloudtrail",
		"PARTITIONED BY (account STRING, region STRING, `timestamp` STRING)",
		"LOCATION 's3://org-trail/AWSLogs/'",
		"'projection.account.type'='injected'",
		"'projection.timestamp.range'='2020/01/01,NOW'",
		"sourceidentity: STRING",
		"com.amazon.emr.cloudtrail.CloudTrailInputFormat",
	} {
		if !strings.Contains(ddl, want) {
			t.Errorf("DDL lacks %s", want)
		}
	}
}
