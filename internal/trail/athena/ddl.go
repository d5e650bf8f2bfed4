package athena

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Table describes the CloudTrail table seiri creates in Athena.
type Table struct {
	Database string
	Name     string
	Bucket   string
	Prefix   string // the trail's S3 key prefix, "" if none
	OrgID    string // o-…: organization trail layout AWSLogs/o-…/ACCOUNT/…
	// Accounts and Regions are the projected partition values. With no
	// accounts the account partition is "injected": every query must name
	// its accounts (seiri's scan does when --accounts is given).
	Accounts []string
	Regions  []string
	From     time.Time // first projected day
}

// DefaultRegions are the regions projected when none are given: every
// commercial region that had opted in by default or commonly used (AWS
// General Reference, "AWS Regions"). Logs of other regions are simply not
// read; pass --regions to add them.
var DefaultRegions = []string{
	"us-east-1", "us-east-2", "us-west-1", "us-west-2",
	"ca-central-1", "sa-east-1",
	"eu-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-north-1",
	"ap-northeast-1", "ap-northeast-2", "ap-northeast-3", "ap-south-1", "ap-southeast-1", "ap-southeast-2",
}

// The patterns are compiled on first use, not when seiri starts: only the
// Athena commands check DDL values, and identRE's {1,255} alone compiles to
// some 200 KB.
var (
	identRE  = lazyRegexp(`^[a-z0-9_]{1,255}$`)
	bucketRE = lazyRegexp(`^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$`)
	orgRE    = lazyRegexp(`^o-[a-z0-9]{10,32}$`)
	acctRE   = lazyRegexp(`^[0-9]{12}$`)
	regionRE = lazyRegexp(`^[a-z]{2}(-[a-z]+)+-[0-9]$`)
	prefixRE = lazyRegexp(`^[A-Za-z0-9!_.*()/-]*$`)
)

func lazyRegexp(expr string) func() *regexp.Regexp {
	return sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(expr) })
}

// Validate checks every value that goes into the DDL text: they are
// spliced into SQL and S3 URLs, so only their documented alphabets pass.
func (t *Table) Validate() error {
	var errs []error
	if !identRE().MatchString(t.Database) {
		errs = append(errs, fmt.Errorf("database %q: use lower-case letters, digits and _", t.Database))
	}
	if !identRE().MatchString(t.Name) {
		errs = append(errs, fmt.Errorf("table %q: use lower-case letters, digits and _", t.Name))
	}
	if !bucketRE().MatchString(t.Bucket) {
		errs = append(errs, fmt.Errorf("bucket %q is not a valid S3 bucket name", t.Bucket))
	}
	if !prefixRE().MatchString(t.Prefix) {
		errs = append(errs, fmt.Errorf("prefix %q has characters seiri does not put in a table location", t.Prefix))
	}
	if t.OrgID != "" && !orgRE().MatchString(t.OrgID) {
		errs = append(errs, fmt.Errorf("organization id %q is not o-…", t.OrgID))
	}
	for _, a := range t.Accounts {
		if !acctRE().MatchString(a) {
			errs = append(errs, fmt.Errorf("account %q is not a 12-digit account id", a))
		}
	}
	for _, r := range t.Regions {
		if !regionRE().MatchString(r) {
			errs = append(errs, fmt.Errorf("region %q is not a region name", r))
		}
	}
	return errors.Join(errs...)
}

// QualifiedName is database.table, as queries name it.
func (t *Table) QualifiedName() string { return t.Database + "." + t.Name }

// Location is the S3 folder above the account folders:
// s3://BUCKET/[PREFIX/]AWSLogs/[o-…/] (CloudTrail User Guide, "Finding
// your CloudTrail log files").
func (t *Table) Location() string {
	var b strings.Builder
	b.WriteString("s3://" + t.Bucket + "/")
	if p := strings.Trim(t.Prefix, "/"); p != "" {
		b.WriteString(p + "/")
	}
	b.WriteString("AWSLogs/")
	if t.OrgID != "" {
		b.WriteString(t.OrgID + "/")
	}
	return b.String()
}

// CreateDatabase is the DDL of the database.
func (t *Table) CreateDatabase() string {
	return "CREATE DATABASE IF NOT EXISTS " + t.Database
}

// CreateTable is the DDL of the CloudTrail table: the columns of AWS's
// documented CloudTrail table (Athena User Guide, "Create the table for
// CloudTrail logs in Athena using partition projection") plus
// useridentity.identityprovider and sessioncontext.sourceidentity, which
// seiri reads; partitions account, region and timestamp (yyyy/MM/dd) are
// projected, so no partition is ever added by hand.
func (t *Table) CreateTable() string {
	from := t.From
	if from.IsZero() {
		from = time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	}
	regions := t.Regions
	if len(regions) == 0 {
		regions = DefaultRegions
	}
	acct := "'projection.account.type'='injected'"
	if len(t.Accounts) > 0 {
		acct = "'projection.account.type'='enum',\n  'projection.account.values'='" + strings.Join(t.Accounts, ",") + "'"
	}
	loc := t.Location()
	return fmt.Sprintf(`CREATE EXTERNAL TABLE IF NOT EXISTS %s (
  eventversion STRING,
  useridentity STRUCT<
    type: STRING,
    principalid: STRING,
    arn: STRING,
    accountid: STRING,
    invokedby: STRING,
    accesskeyid: STRING,
    username: STRING,
    identityprovider: STRING,
    onbehalfof: STRUCT<
      userid: STRING,
      identitystorearn: STRING>,
    sessioncontext: STRUCT<
      attributes: STRUCT<
        mfaauthenticated: STRING,
        creationdate: STRING>,
      sessionissuer: STRUCT<
        type: STRING,
        principalid: STRING,
        arn: STRING,
        accountid: STRING,
        username: STRING>,
      ec2roledelivery: STRING,
      webidfederationdata: STRUCT<
        federatedprovider: STRING,
        attributes: MAP<STRING,STRING>>,
      sourceidentity: STRING>>,
  eventtime STRING,
  eventsource STRING,
  eventname STRING,
  awsregion STRING,
  sourceipaddress STRING,
  useragent STRING,
  errorcode STRING,
  errormessage STRING,
  requestparameters STRING,
  responseelements STRING,
  additionaleventdata STRING,
  requestid STRING,
  eventid STRING,
  readonly STRING,
  resources ARRAY<STRUCT<
    arn: STRING,
    accountid: STRING,
    type: STRING>>,
  eventtype STRING,
  apiversion STRING,
  recipientaccountid STRING,
  serviceeventdetails STRING,
  sharedeventid STRING,
  vpcendpointid STRING,
  vpcendpointaccountid STRING,
  eventcategory STRING,
  sessioncredentialfromconsole STRING,
  edgedevicedetails STRING,
  tlsdetails STRUCT<
    tlsversion: STRING,
    ciphersuite: STRING,
    clientprovidedhostheader: STRING>
)
COMMENT 'CloudTrail logs, created by seiri trail athena setup'
PARTITIONED BY (account STRING, region STRING, `+"`timestamp`"+` STRING)
ROW FORMAT SERDE 'org.apache.hive.hcatalog.data.JsonSerDe'
STORED AS INPUTFORMAT 'com.amazon.emr.cloudtrail.CloudTrailInputFormat'
OUTPUTFORMAT 'org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat'
LOCATION '%s'
TBLPROPERTIES (
  'projection.enabled'='true',
  %s,
  'projection.region.type'='enum',
  'projection.region.values'='%s',
  'projection.timestamp.type'='date',
  'projection.timestamp.format'='yyyy/MM/dd',
  'projection.timestamp.range'='%s,NOW',
  'projection.timestamp.interval'='1',
  'projection.timestamp.interval.unit'='DAYS',
  'storage.location.template'='%s${account}/CloudTrail/${region}/${timestamp}'
)`, t.QualifiedName(), loc, acct, strings.Join(regions, ","), from.UTC().Format("2006/01/02"), loc)
}

// ValidateNames checks a database and table name and region names that a
// scan splices into its SQL.
func ValidateNames(database, table string, regions []string) error {
	var errs []error
	if !identRE().MatchString(database) {
		errs = append(errs, fmt.Errorf("database %q: use lower-case letters, digits and _", database))
	}
	if !identRE().MatchString(table) {
		errs = append(errs, fmt.Errorf("table %q: use lower-case letters, digits and _", table))
	}
	for _, r := range regions {
		if !regionRE().MatchString(r) {
			errs = append(errs, fmt.Errorf("region %q is not a region name", r))
		}
	}
	return errors.Join(errs...)
}
