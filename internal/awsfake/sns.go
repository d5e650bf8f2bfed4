package awsfake

import (
	"fmt"
	"regexp"
	"sync"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// Amazon SNS over the query protocol (Version 2010-03-31).
// https://docs.aws.amazon.com/sns/latest/api/API_Operations.html
func init() {
	resourceOps["sns"] = map[string]func(*call) (any, *Error){
		"ListTopics":         snsListTopics,
		"GetTopicAttributes": snsGetTopicAttributes,
		"Publish":            snsPublish,
	}
}

// SNSMessage is one message published to the fake.
type SNSMessage struct {
	Account, TopicARN, Subject, Message string
}

var snsPublished sync.Map // *Server → *[]SNSMessage (appended under Server.mu)

// SNSMessages returns the messages published so far, in order.
func (s *Server) SNSMessages() []SNSMessage {
	s.mu.Lock()
	defer s.mu.Unlock()
	v, ok := snsPublished.Load(s)
	if !ok {
		return nil
	}
	return append([]SNSMessage(nil), *v.(*[]SNSMessage)...)
}

var topicARNRE = regexp.MustCompile(`^arn:aws[a-z-]*:sns:[a-z0-9-]+:([0-9]{12}):[A-Za-z0-9_-]{1,256}$`)

// https://docs.aws.amazon.com/sns/latest/api/API_Publish.html
// Any well-formed topic of the caller's account accepts messages; the
// subject is at most 100 characters and the message at most 256 KB.
func snsPublish(c *call) (any, *Error) {
	arn := c.str("TopicArn")
	m := topicARNRE.FindStringSubmatch(arn)
	if m == nil || m[1] != c.who.account {
		return nil, errf(404, "NotFound", "Topic does not exist")
	}
	if len(c.str("Subject")) > 100 {
		return nil, errf(400, "InvalidParameter", "Invalid parameter: Subject")
	}
	if n := len(c.str("Message")); n == 0 || n > 256*1024 {
		return nil, errf(400, "InvalidParameter", "Invalid parameter: Message")
	}
	v, _ := snsPublished.LoadOrStore(c.s, &[]SNSMessage{})
	list := v.(*[]SNSMessage)
	*list = append(*list, SNSMessage{Account: c.who.account, TopicARN: arn, Subject: c.str("Subject"), Message: c.str("Message")})
	var x xmlBody
	x.el("MessageId", fmt.Sprintf("fake-msg-%d", len(*list)))
	return &x, nil
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
