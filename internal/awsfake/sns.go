package awsfake

import (
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Amazon SNS over the query protocol (Version 2010-03-31).
// https://docs.aws.amazon.com/sns/latest/api/API_Operations.html
func init() {
	resourceOps["sns"] = map[string]func(*call) (any, *Error){
		"ListTopics":         snsListTopics,
		"GetTopicAttributes": snsGetTopicAttributes,
	}
}

// https://docs.aws.amazon.com/sns/latest/api/API_ListTopics.html
func snsListTopics(c *call) (any, *Error) {
	ts := c.items(snapshot.ResourceSNSTopic, true)
	start, end, next, err := c.page(len(ts), "", "NextToken")
	if err != nil {
		return nil, err
	}
	var x xmlBody
	x.list("Topics", end-start, func(i int) { x.el("TopicArn", ts[start+i].ARN) })
	x.opt("NextToken", next)
	return &x, nil
}

// https://docs.aws.amazon.com/sns/latest/api/API_GetTopicAttributes.html
func snsGetTopicAttributes(c *call) (any, *Error) {
	arn := c.str("TopicArn")
	for _, t := range c.items(snapshot.ResourceSNSTopic, true) {
		if t.ARN != arn {
			continue
		}
		attrs := [][2]string{{"TopicArn", t.ARN}, {"Owner", c.who.account}}
		if p := policyText(t); p != "" {
			attrs = append(attrs, [2]string{"Policy", p})
		}
		var x xmlBody
		x.open("Attributes")
		for _, kv := range attrs {
			x.open("entry")
			x.el("key", kv[0])
			x.el("value", kv[1])
			x.close("entry")
		}
		x.close("Attributes")
		return &x, nil
	}
	return nil, errf(404, "NotFound", "Topic does not exist")
}
