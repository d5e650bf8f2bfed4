package trail

import (
	"bytes"
	"strings"
)

// ActionChecker answers whether an IAM action ("service:Name") exists. The
// IAM catalog (internal/catalog) implements it; a Mapper without one maps
// every well-formed event by its name.
type ActionChecker interface {
	ActionExists(action string) bool
}

// ResourceFrom says which resource of an event an action applies to.
type ResourceFrom uint8

const (
	ResPrimary    ResourceFrom = iota // the event's main resource
	ResCopySource                     // S3 copy source (x-amz-copy-source)
	ResNone                           // the action takes no resource (for example s3:ListAllMyBuckets)
	// ResBucketObjects: the objects of the event's bucket ("arn:aws:s3:::b/*"),
	// for S3 DeleteObjects, whose keys CloudTrail does not log.
	ResBucketObjects
	ResKMSSource // KMS ReEncrypt's sourceKeyId
	ResKMSDest   // KMS ReEncrypt's destinationKeyId
)

// ActionUse is one IAM action an event needed, and on which of its resources.
type ActionUse struct {
	Action string
	From   ResourceFrom
}

// MapKind classifies an event.
type MapKind uint8

const (
	// Mapped: the event is an authorization decision for Actions.
	Mapped MapKind = iota
	// NotAuthz: the event is not an IAM authorization decision (console
	// sign-in, AWS service events, Insights, calls that need no permission).
	// Actions holds "service:EventName" for activity tracking.
	NotAuthz
	// Unmapped: seiri does not know which action the event needed.
	Unmapped
)

// Mapping is the result of mapping one event.
type Mapping struct {
	Kind    MapKind
	Actions []ActionUse
	// Dynamic is set when the actions depend on the request (DynamoDB
	// PartiQL): the mapping must be recomputed for every record.
	Dynamic bool
	// Request is the "prefix:Name" whose request a Dynamic mapping reads.
	Request string
}

// Mapper maps (eventSource, eventName) to IAM actions.
type Mapper struct {
	// Catalog, when set, turns default-mapped actions that do not exist into
	// Unmapped instead of inventing actions.
	Catalog ActionChecker
}

// serviceRenames are event sources whose IAM service prefix differs from the
// event source's host name. Service Authorization Reference ("Actions,
// resources, and condition keys for AWS services") lists the prefixes;
// CloudTrail User Guide "CloudTrail supported services and integrations"
// lists the event sources.
var serviceRenames = map[string]string{
	"monitoring":        "cloudwatch",      // CloudWatch metrics/alarms API host
	"tagging":           "tag",             // Resource Groups Tagging API
	"streams.dynamodb":  "dynamodb",        // DynamoDB Streams: dynamodb:GetRecords, ...
	"pinpoint":          "mobiletargeting", // Amazon Pinpoint
	"email":             "ses",             // SES v2 host
	"rdsdata":           "rds-data",        // RDS Data API
	"models.lex":        "lex",             // Lex V1 model building
	"runtime.lex":       "lex",             // Lex V1 runtime
	"models-v2-lex":     "lex",             // Lex V2 model building
	"runtime-v2-lex":    "lex",             // Lex V2 runtime
	"api.sagemaker":     "sagemaker",
	"runtime.sagemaker": "sagemaker", // SageMaker runtime InvokeEndpoint
	"execute-api":       "execute-api",
	"api.ecr":           "ecr",
	"ecr-public":        "ecr-public",
	"data.iot":          "iot", // IoT data plane
	"iotdata":           "iot",
	"sso-directory":     "sso-directory",
	"identitystore":     "identitystore",
	"sso-oauth":         "sso-oauth",
	"bedrock-runtime":   "bedrock",
	"bedrock-agent":     "bedrock",
	"awslambda":         "lambda",
	"elasticmapreduce":  "elasticmapreduce",
	"cloudsearch":       "cloudsearch",
	"s3-outposts":       "s3-outposts",
}

// exceptions are events whose name is not the IAM action, keyed by
// "prefix:EventName" after the service rename. Sources: Service Authorization
// Reference (Amazon S3, AWS KMS, AWS Budgets, Amazon SQS, AWS Lambda pages)
// and the S3 API reference's "Permissions" section of each operation.
var exceptions = map[string][]ActionUse{
	// S3: bucket listing is authorized by s3:ListBucket whatever the API version.
	"s3:ListObjects":          {{"s3:ListBucket", ResPrimary}},
	"s3:ListObjectsV2":        {{"s3:ListBucket", ResPrimary}},
	"s3:HeadBucket":           {{"s3:ListBucket", ResPrimary}},
	"s3:HeadObject":           {{"s3:GetObject", ResPrimary}},
	"s3:ListBuckets":          {{"s3:ListAllMyBuckets", ResNone}},
	"s3:ListObjectVersions":   {{"s3:ListBucketVersions", ResPrimary}},
	"s3:ListParts":            {{"s3:ListMultipartUploadParts", ResPrimary}},
	"s3:ListMultipartUploads": {{"s3:ListBucketMultipartUploads", ResPrimary}},
	// Multipart uploads are authorized as s3:PutObject.
	"s3:CreateMultipartUpload":   {{"s3:PutObject", ResPrimary}},
	"s3:UploadPart":              {{"s3:PutObject", ResPrimary}},
	"s3:CompleteMultipartUpload": {{"s3:PutObject", ResPrimary}},
	// CopyObject / UploadPartCopy read the source and write the target
	// (tagging/ACL permissions only when the request sets them).
	"s3:CopyObject":          {{"s3:GetObject", ResCopySource}, {"s3:PutObject", ResPrimary}},
	"s3:UploadPartCopy":      {{"s3:GetObject", ResCopySource}, {"s3:PutObject", ResPrimary}},
	"s3:SelectObjectContent": {{"s3:GetObject", ResPrimary}},
	// DeleteObjects is authorized as s3:DeleteObject on every key (S3 API
	// Reference, DeleteObjects): the keys are not logged, so the bucket's objects.
	"s3:DeleteObjects": {{"s3:DeleteObject", ResBucketObjects}},
	// Bucket configuration: the action names the configuration, not the API.
	"s3:PutBucketEncryption":                      {{"s3:PutEncryptionConfiguration", ResPrimary}},
	"s3:GetBucketEncryption":                      {{"s3:GetEncryptionConfiguration", ResPrimary}},
	"s3:DeleteBucketEncryption":                   {{"s3:PutEncryptionConfiguration", ResPrimary}},
	"s3:PutBucketLifecycle":                       {{"s3:PutLifecycleConfiguration", ResPrimary}},
	"s3:PutBucketLifecycleConfiguration":          {{"s3:PutLifecycleConfiguration", ResPrimary}},
	"s3:GetBucketLifecycle":                       {{"s3:GetLifecycleConfiguration", ResPrimary}},
	"s3:GetBucketLifecycleConfiguration":          {{"s3:GetLifecycleConfiguration", ResPrimary}},
	"s3:DeleteBucketLifecycle":                    {{"s3:PutLifecycleConfiguration", ResPrimary}},
	"s3:GetObjectLockConfiguration":               {{"s3:GetBucketObjectLockConfiguration", ResPrimary}},
	"s3:PutObjectLockConfiguration":               {{"s3:PutBucketObjectLockConfiguration", ResPrimary}},
	"s3:PutBucketCors":                            {{"s3:PutBucketCORS", ResPrimary}},
	"s3:GetBucketCors":                            {{"s3:GetBucketCORS", ResPrimary}},
	"s3:DeleteBucketCors":                         {{"s3:PutBucketCORS", ResPrimary}},
	"s3:DeleteBucketTagging":                      {{"s3:PutBucketTagging", ResPrimary}},
	"s3:PutBucketReplication":                     {{"s3:PutReplicationConfiguration", ResPrimary}},
	"s3:GetBucketReplication":                     {{"s3:GetReplicationConfiguration", ResPrimary}},
	"s3:DeleteBucketReplication":                  {{"s3:PutReplicationConfiguration", ResPrimary}},
	"s3:DeleteBucketPublicAccessBlock":            {{"s3:PutBucketPublicAccessBlock", ResPrimary}},
	"s3:PutBucketNotificationConfiguration":       {{"s3:PutBucketNotification", ResPrimary}},
	"s3:GetBucketNotificationConfiguration":       {{"s3:GetBucketNotification", ResPrimary}},
	"s3:PutBucketAnalyticsConfiguration":          {{"s3:PutAnalyticsConfiguration", ResPrimary}},
	"s3:GetBucketAnalyticsConfiguration":          {{"s3:GetAnalyticsConfiguration", ResPrimary}},
	"s3:PutBucketInventoryConfiguration":          {{"s3:PutInventoryConfiguration", ResPrimary}},
	"s3:GetBucketInventoryConfiguration":          {{"s3:GetInventoryConfiguration", ResPrimary}},
	"s3:PutBucketMetricsConfiguration":            {{"s3:PutMetricsConfiguration", ResPrimary}},
	"s3:GetBucketMetricsConfiguration":            {{"s3:GetMetricsConfiguration", ResPrimary}},
	"s3:PutBucketAccelerateConfiguration":         {{"s3:PutAccelerateConfiguration", ResPrimary}},
	"s3:GetBucketAccelerateConfiguration":         {{"s3:GetAccelerateConfiguration", ResPrimary}},
	"s3:PutBucketIntelligentTieringConfiguration": {{"s3:PutIntelligentTieringConfiguration", ResPrimary}},
	"s3:GetBucketIntelligentTieringConfiguration": {{"s3:GetIntelligentTieringConfiguration", ResPrimary}},

	// KMS ReEncrypt needs permission on both keys (KMS Developer Guide, ReEncrypt).
	"kms:ReEncrypt": {{"kms:ReEncryptFrom", ResKMSSource}, {"kms:ReEncryptTo", ResKMSDest}},

	// Budgets authorizes writes with ModifyBudget and reads with ViewBudget
	// (Service Authorization Reference, AWS Budgets).
	"budgets:CreateBudget":                       {{"budgets:ModifyBudget", ResPrimary}},
	"budgets:UpdateBudget":                       {{"budgets:ModifyBudget", ResPrimary}},
	"budgets:DeleteBudget":                       {{"budgets:ModifyBudget", ResPrimary}},
	"budgets:CreateNotification":                 {{"budgets:ModifyBudget", ResPrimary}},
	"budgets:UpdateNotification":                 {{"budgets:ModifyBudget", ResPrimary}},
	"budgets:DeleteNotification":                 {{"budgets:ModifyBudget", ResPrimary}},
	"budgets:CreateSubscriber":                   {{"budgets:ModifyBudget", ResPrimary}},
	"budgets:UpdateSubscriber":                   {{"budgets:ModifyBudget", ResPrimary}},
	"budgets:DeleteSubscriber":                   {{"budgets:ModifyBudget", ResPrimary}},
	"budgets:DescribeBudget":                     {{"budgets:ViewBudget", ResPrimary}},
	"budgets:DescribeBudgets":                    {{"budgets:ViewBudget", ResPrimary}},
	"budgets:DescribeNotificationsForBudget":     {{"budgets:ViewBudget", ResPrimary}},
	"budgets:DescribeSubscribersForNotification": {{"budgets:ViewBudget", ResPrimary}},

	// Lambda's Invoke API is authorized by lambda:InvokeFunction.
	"lambda:Invoke":                   {{"lambda:InvokeFunction", ResPrimary}},
	"lambda:InvokeWithResponseStream": {{"lambda:InvokeFunction", ResPrimary}},

	// SQS batch APIs use the single-message actions (SQS Developer Guide,
	// "Amazon SQS API permissions").
	"sqs:SendMessageBatch":             {{"sqs:SendMessage", ResPrimary}},
	"sqs:DeleteMessageBatch":           {{"sqs:DeleteMessage", ResPrimary}},
	"sqs:ChangeMessageVisibilityBatch": {{"sqs:ChangeMessageVisibility", ResPrimary}},
}

// requestMapped are the events whose actions and resources come from the
// request, item by item (Mapping.Dynamic).
var requestMapped = map[string]bool{
	// PartiQL: one action per statement verb (DynamoDB Developer Guide, "IAM
	// security policies with PartiQL for DynamoDB").
	"dynamodb:ExecuteStatement":      true,
	"dynamodb:BatchExecuteStatement": true,
	"dynamodb:ExecuteTransaction":    true,
	// Transactions are authorized per item operation (DynamoDB Developer
	// Guide, "Using IAM with DynamoDB transactions").
	"dynamodb:TransactWriteItems": true,
	"dynamodb:TransactGetItems":   true,
	// Batches are authorized by the batch action on every table they name.
	"dynamodb:BatchGetItem":   true,
	"dynamodb:BatchWriteItem": true,
	// BatchGetSecretValue needs GetSecretValue on each secret and, with
	// filters, ListSecrets (Secrets Manager API Reference, BatchGetSecretValue).
	"secretsmanager:BatchGetSecretValue": true,
}

// notAuthz are events that record activity, not an authorization decision.
var notAuthz = map[string]bool{
	"signin:ConsoleLogin":    true, // AWS Sign-In events (CloudTrail User Guide, "AWS Management Console sign-in events")
	"signin:CheckMfa":        true,
	"signin:SwitchRole":      true,
	"signin:ExitRole":        true,
	"signin:RenewRole":       true,
	"signin:PasswordUpdated": true,
	"signin:ConsoleSignin":   true,
	// sts:GetCallerIdentity needs no permission (STS API reference, GetCallerIdentity).
	"sts:GetCallerIdentity": true,
	// The Identity Center access portal is authorized by the portal session, not IAM.
	"sso:Federate":           true,
	"sso:Authenticate":       true,
	"sso:GetRoleCredentials": true,
	"sso:ListAccounts":       true,
	"sso:ListAccountRoles":   true,
	"sso:Logout":             true,
	// The OIDC token endpoints are called before any AWS credential exists
	// (IAM Identity Center OIDC API Reference: CreateToken, RegisterClient and
	// StartDeviceAuthorization are unauthenticated).
	"sso:CreateToken":                    true,
	"sso-oauth:CreateToken":              true,
	"sso-oauth:RegisterClient":           true,
	"sso-oauth:StartDeviceAuthorization": true,
}

// notAuthzTypes are eventType values that are never authorization decisions.
var notAuthzTypes = map[string]bool{
	"AwsServiceEvent":      true, // an AWS service acting on its own (CloudTrail record contents, eventType)
	"AwsConsoleSignIn":     true,
	"AwsCloudTrailInsight": true,
	"AwsConsoleAction":     true,
	"AwsVpceEvent":         true, // network activity events: endpoint policy, not IAM
}

// ServicePrefix returns the IAM service prefix of an event source
// ("s3.amazonaws.com" → "s3"), or "" when the source is not an AWS service host.
func ServicePrefix(eventSource string) string {
	host, ok := strings.CutSuffix(eventSource, ".amazonaws.com")
	if !ok || host == "" {
		return ""
	}
	if r, ok := serviceRenames[host]; ok {
		return r
	}
	if strings.ContainsAny(host, "/: ") {
		return ""
	}
	return host
}

// Map maps one event by source and name. eventType may be empty.
func (m *Mapper) Map(eventSource, eventName, eventType string) Mapping {
	prefix := ServicePrefix(eventSource)
	if prefix == "" || eventName == "" || !validName(eventName) {
		return Mapping{Kind: Unmapped}
	}
	name := stripAPIDate(prefix, eventName)
	action := prefix + ":" + name
	if notAuthzTypes[eventType] || notAuthz[action] || prefix == "signin" {
		return Mapping{Kind: NotAuthz, Actions: []ActionUse{{Action: prefix + ":" + eventName, From: ResPrimary}}}
	}
	if uses, ok := exceptions[action]; ok {
		return Mapping{Kind: Mapped, Actions: uses}
	}
	if requestMapped[action] {
		return Mapping{Kind: Mapped, Dynamic: true, Request: action}
	}
	if m.Catalog != nil && !m.Catalog.ActionExists(action) {
		return Mapping{Kind: Unmapped}
	}
	return Mapping{Kind: Mapped, Actions: []ActionUse{{Action: action, From: ResPrimary}}}
}

// validName accepts API operation names (letters, digits, '_', '.', '-').
func validName(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-' || c == '.') {
			return false
		}
	}
	return true
}

// stripAPIDate removes the API version some services append to event names:
// Lambda "AddPermission20150331v2", "ListFunctions20150331"; CloudFront
// "CreateDistribution2020_05_31" (CloudTrail logging pages of the Lambda and
// CloudFront developer guides show these names).
func stripAPIDate(prefix, name string) string {
	switch prefix {
	case "lambda":
		// NAME + YYYYMMDD + optional vN
		s := name
		if i := strings.LastIndexByte(s, 'v'); i > 8 && allDigits(s[i+1:]) && len(s[i+1:]) > 0 {
			s = s[:i]
		}
		if len(s) > 8 && allDigits(s[len(s)-8:]) && strings.HasPrefix(s[len(s)-8:], "20") {
			return s[:len(s)-8]
		}
	case "cloudfront":
		// NAME + YYYY_MM_DD
		if n := len(name); n > 10 {
			d := name[n-10:]
			if d[4] == '_' && d[7] == '_' && allDigits(d[:4]) && allDigits(d[5:7]) && allDigits(d[8:]) {
				return name[:n-10]
			}
		}
	}
	return name
}

func allDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// partiQLActions maps a DynamoDB PartiQL statement to its action by its first
// verb (DynamoDB Developer Guide, "IAM security policies with PartiQL for
// DynamoDB"). It returns "" for a statement it cannot read (CloudTrail may
// log it redacted).
func partiQLAction(stmt []byte) string {
	s := bytes.TrimLeft(stmt, " \t\r\n(")
	word := s
	if i := bytes.IndexAny(s, " \t\r\n"); i >= 0 {
		word = s[:i]
	}
	switch {
	case bytes.EqualFold(word, []byte("SELECT")):
		return "dynamodb:PartiQLSelect"
	case bytes.EqualFold(word, []byte("INSERT")):
		return "dynamodb:PartiQLInsert"
	case bytes.EqualFold(word, []byte("UPDATE")):
		return "dynamodb:PartiQLUpdate"
	case bytes.EqualFold(word, []byte("DELETE")):
		return "dynamodb:PartiQLDelete"
	}
	return ""
}

// partiQLTable returns the table a PartiQL statement names (FROM "t",
// INTO "t", UPDATE "t"), or nil.
func partiQLTable(stmt []byte) []byte {
	for _, kw := range [][]byte{[]byte("FROM"), []byte("INTO"), []byte("UPDATE")} {
		i := indexFold(stmt, kw)
		if i < 0 {
			continue
		}
		rest := bytes.TrimLeft(stmt[i+len(kw):], " \t\r\n")
		if len(rest) == 0 {
			continue
		}
		if rest[0] == '"' {
			if j := bytes.IndexByte(rest[1:], '"'); j >= 0 {
				return rest[1 : 1+j]
			}
			continue
		}
		j := bytes.IndexAny(rest, " \t\r\n.;\"")
		if j < 0 {
			j = len(rest)
		}
		if j > 0 {
			return rest[:j]
		}
	}
	return nil
}

func indexFold(s, sep []byte) int {
	for i := 0; i+len(sep) <= len(s); i++ {
		if bytes.EqualFold(s[i:i+len(sep)], sep) && (i == 0 || s[i-1] == ' ' || s[i-1] == '\n' || s[i-1] == '\t') {
			return i
		}
	}
	return -1
}

// Actions lists every action the exception table can produce (the catalog
// test checks each exists).
func Actions() []string {
	seen := map[string]bool{}
	var out []string
	for _, uses := range exceptions {
		for _, u := range uses {
			if !seen[u.Action] {
				seen[u.Action] = true
				out = append(out, u.Action)
			}
		}
	}
	for _, a := range []string{"dynamodb:PartiQLSelect", "dynamodb:PartiQLInsert", "dynamodb:PartiQLUpdate", "dynamodb:PartiQLDelete",
		"dynamodb:PutItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:ConditionCheckItem", "dynamodb:GetItem",
		"dynamodb:BatchGetItem", "dynamodb:BatchWriteItem",
		"secretsmanager:BatchGetSecretValue", "secretsmanager:GetSecretValue", "secretsmanager:ListSecrets"} {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}
