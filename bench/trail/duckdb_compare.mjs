// DuckDB comparison for `seiri trail scan`: the same aggregation over the same
// files with read_json(format='newline_delimited') (each CloudTrail file is
// one line: one JSON object holding the Records array).
//
//   node duckdb_compare.mjs /tmp/ctbench [threads]
//
// Run through ./run.sh, which installs @duckdb/node-api into a temp dir.
import { DuckDBInstance } from '@duckdb/node-api';

const dir = process.argv[2];
const threads = process.argv[3] || '2';
if (!dir) {
  console.error('usage: node duckdb_compare.mjs DIR [threads]');
  process.exit(2);
}
const instance = await DuckDBInstance.create(':memory:', { threads });
const con = await instance.connect();

// Only the fields the local engine reads; explicit columns skip type sniffing.
const records = `STRUCT(
  eventVersion VARCHAR, eventTime VARCHAR, eventSource VARCHAR, eventName VARCHAR, eventType VARCHAR,
  awsRegion VARCHAR, sourceIPAddress VARCHAR, userAgent VARCHAR, errorCode VARCHAR, recipientAccountId VARCHAR,
  vpcEndpointId VARCHAR,
  userIdentity STRUCT(type VARCHAR, arn VARCHAR, accountId VARCHAR, accessKeyId VARCHAR, invokedBy VARCHAR,
    sessionContext STRUCT(sessionIssuer STRUCT(arn VARCHAR), sourceIdentity VARCHAR)),
  resources STRUCT(ARN VARCHAR, type VARCHAR)[]
)[]`;

const sql = `
WITH r AS (
  SELECT unnest(Records) AS e
  FROM read_json('${dir}/**/*.json.gz', format='newline_delimited', compression='gzip',
                 columns={Records: '${records}'}, maximum_object_size=1073741824)
)
SELECT e.recipientAccountId AS account,
       coalesce(e.userIdentity.sessionContext.sessionIssuer.arn, e.userIdentity.arn, e.userIdentity.invokedBy) AS principal,
       e.userIdentity.type AS principal_type,
       coalesce(e.userIdentity.accessKeyId, '') AS access_key_id,
       split_part(e.eventSource, '.amazonaws.com', 1) || ':' || e.eventName AS action,
       coalesce(e.resources[1].ARN, '') AS resource,
       coalesce(e.errorCode, '') AS error_code,
       min(e.eventTime) AS first_seen, max(e.eventTime) AS last_seen, count(*) AS n,
       list_distinct(list(e.sourceIPAddress))[1:5] AS source_ips
FROM r
GROUP BY ALL`;

const t0 = performance.now();
const reader = await con.runAndReadAll(sql);
const rows = reader.getRows();
const secs = (performance.now() - t0) / 1000;
let events = 0n;
for (const row of rows) events += BigInt(row[9]);
console.log(`duckdb: ${rows.length} groups, ${events} events in ${secs.toFixed(2)} s (threads=${threads})`);
