package awsfake

import (
	"fmt"
	"strings"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Amazon SQS over JSON 1.0 (X-Amz-Target AmazonSQS.Op), the protocol of the
// SDK since SQS moved off the query protocol.
// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_Operations.html
func init() {
	jsonTargets["AmazonSQS"] = "sqs"
	resourceOps["sqs"] = map[string]func(*call) (any, *Error){
		"ListQueues":         sqsListQueues,
		"GetQueueAttributes": sqsGetQueueAttributes,
	}
}

func queueURL(it *snapshot.ResourcePolicy) string {
	// arn:aws:sqs:REGION:ACCOUNT:NAME
	p := strings.Split(it.ARN, ":")
	if len(p) < 6 {
		return it.ARN
	}
	return fmt.Sprintf("https://sqs.%s.amazonaws.com/%s/%s", p[3], p[4], p[5])
}

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_ListQueues.html
func sqsListQueues(c *call) (any, *Error) {
	qs := c.items(snapshot.ResourceSQSQueue, true)
	start, end, out, err := c.pageJSON(len(qs))
	if err != nil {
		return nil, err
	}
	var urls []string
	for _, q := range qs[start:end] {
		urls = append(urls, queueURL(q))
	}
	out["QueueUrls"] = urls
	return out, nil
}

// https://docs.aws.amazon.com/AWSSimpleQueueService/latest/APIReference/API_GetQueueAttributes.html
func sqsGetQueueAttributes(c *call) (any, *Error) {
	url := c.str("QueueUrl")
	for _, q := range c.items(snapshot.ResourceSQSQueue, true) {
		if queueURL(q) != url {
			continue
		}
		attrs := map[string]string{"QueueArn": q.ARN}
		if p := policyText(q); p != "" {
			attrs["Policy"] = p
		}
		return map[string]any{"Attributes": attrs}, nil
	}
	return nil, errf(400, "AWS.SimpleQueueService.NonExistentQueue", "The specified queue does not exist.")
}
