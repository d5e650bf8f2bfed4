package trail

import "bytes"

// RequestUse is one action a request needed, on one resource ("" when the
// action takes none).
type RequestUse struct {
	Action   string
	Resource string
}

// requestUses resolves a Dynamic mapping from the record's request: one use
// per item and table. str turns scratch bytes into a string the caller keeps
// (the aggregator interns). It returns nil when nothing in the request could
// be read (the event is then unmapped, not guessed).
func requestUses(dst []RequestUse, action, prefix string, r *Record, account []byte, scratch []byte, str func([]byte) string) ([]RequestUse, []byte) {
	q := &r.Req
	add := func(act string, res []byte) {
		rs := str(res)
		for _, u := range dst {
			if u.Action == act && u.Resource == rs {
				return
			}
		}
		dst = append(dst, RequestUse{Action: act, Resource: rs})
	}
	table := func(name []byte) []byte {
		start := len(scratch)
		scratch = dynamoTableARN(scratch, r, name, account)
		return scratch[start:]
	}
	switch action {
	case "dynamodb:ExecuteStatement":
		act := partiQLAction(q.Statement)
		if act == "" {
			return dst, scratch
		}
		start := len(scratch)
		scratch = primaryResource(scratch, prefix, r, account)
		add(act, scratch[start:])
	case "dynamodb:BatchExecuteStatement", "dynamodb:ExecuteTransaction":
		for _, it := range q.Items {
			act := partiQLAction(it.Statement)
			t := partiQLTable(it.Statement)
			if act == "" || len(t) == 0 {
				continue
			}
			add(act, table(t))
		}
	case "dynamodb:TransactWriteItems", "dynamodb:TransactGetItems":
		for _, it := range q.Items {
			act := transactAction(it.Op, action == "dynamodb:TransactGetItems")
			if act == "" || len(it.Table) == 0 {
				continue
			}
			add(act, table(it.Table))
		}
	case "dynamodb:BatchGetItem", "dynamodb:BatchWriteItem":
		for _, it := range q.Items {
			if len(it.Table) > 0 {
				add(action, table(it.Table))
			}
		}
		if len(dst) == 0 {
			start := len(scratch)
			scratch = primaryResource(scratch, prefix, r, account)
			add(action, scratch[start:])
		}
	case "secretsmanager:BatchGetSecretValue":
		// Without the request's secret list (an engine that did not carry
		// it) the batch action alone is what is known; Secrets Manager logs
		// a GetSecretValue event per secret besides.
		add(action, nil)
		for _, id := range q.SecretIDs {
			start := len(scratch)
			scratch = secretARN(scratch, r, id, account)
			add("secretsmanager:GetSecretValue", scratch[start:])
		}
		if q.HasFilters {
			add("secretsmanager:ListSecrets", nil)
		}
	}
	return dst, scratch
}

// transactAction maps a transaction item's operation to its action.
func transactAction(op []byte, get bool) string {
	switch {
	case len(op) == 0 && get, bytes.EqualFold(op, []byte("Get")):
		return "dynamodb:GetItem"
	case bytes.EqualFold(op, []byte("Put")):
		return "dynamodb:PutItem"
	case bytes.EqualFold(op, []byte("Update")):
		return "dynamodb:UpdateItem"
	case bytes.EqualFold(op, []byte("Delete")):
		return "dynamodb:DeleteItem"
	case bytes.EqualFold(op, []byte("ConditionCheck")):
		return "dynamodb:ConditionCheckItem"
	}
	return ""
}

// dynamoTableARN appends the ARN of a table named in a request: the name
// when it is an ARN, else the resources[] entry for it (what CloudTrail
// itself names), else one built from the event's region and account.
func dynamoTableARN(dst []byte, r *Record, name, account []byte) []byte {
	if bytes.HasPrefix(name, bArn) {
		return append(dst, name...)
	}
	for _, ref := range r.Resources {
		if i := bytes.LastIndex(ref.ARN, []byte(":table/")); i >= 0 && bytes.Equal(ref.ARN[i+len(":table/"):], name) {
			return append(dst, ref.ARN...)
		}
	}
	return buildARN(dst, partition(r.AWSRegion), "dynamodb", r.AWSRegion, account, []byte("table/"), name)
}

// secretARN appends the ARN of a secret named by id (a name or an ARN).
func secretARN(dst []byte, r *Record, id, account []byte) []byte {
	if bytes.HasPrefix(id, bArn) {
		return append(dst, id...)
	}
	// A name, not an ARN: the ARN's random 6-character suffix is unknown.
	return buildARN(dst, partition(r.AWSRegion), "secretsmanager", r.AWSRegion, account, []byte("secret:"), id)
}

// kmsKeyARN appends the ARN of a key named by id (key id, alias, or ARN).
func kmsKeyARN(dst []byte, r *Record, k, account []byte) []byte {
	part := partition(r.AWSRegion)
	switch {
	case bytes.HasPrefix(k, bArn):
		return append(dst, k...)
	case bytes.HasPrefix(k, []byte("alias/")):
		return buildARN(dst, part, "kms", r.AWSRegion, account, k)
	default:
		return buildARN(dst, part, "kms", r.AWSRegion, account, []byte("key/"), k)
	}
}
