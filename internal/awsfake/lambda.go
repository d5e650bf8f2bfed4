package awsfake

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// AWS Lambda over REST-JSON: ListFunctions (GET /2015-03-31/functions/) and
// GetPolicy (GET /2015-03-31/functions/NAME/policy).
// https://docs.aws.amazon.com/lambda/latest/api/API_Operations.html
func init() {
	resourceOps["lambda"] = map[string]func(*call) (any, *Error){
		"ListFunctions": lambdaListFunctions,
		"GetPolicy":     lambdaGetPolicy,
	}
}

func (s *Server) serveLambda(w http.ResponseWriter, r *http.Request) {
	c := &call{s: s, service: "lambda", req: r, form: r.URL.Query()}
	rest, ok := strings.CutPrefix(r.URL.Path, "/2015-03-31/functions")
	rest = strings.Trim(rest, "/")
	switch {
	case ok && r.Method == http.MethodGet && rest == "":
		c.op = "ListFunctions"
	case ok && r.Method == http.MethodGet && strings.HasSuffix(rest, "/policy"):
		c.op = "GetPolicy"
		name, _ := url.PathUnescape(strings.TrimSuffix(rest, "/policy"))
		c.form.Set("FunctionName", name)
	default:
		c.op = r.Method + " " + r.URL.Path
	}
	resp, aerr := s.dispatch(r, c)
	w.Header().Set("X-Amzn-RequestId", "fake")
	w.Header().Set("Content-Type", "application/json")
	if aerr != nil {
		// REST-JSON errors: the type in X-Amzn-ErrorType, status code.
		w.Header().Set("X-Amzn-ErrorType", aerr.Code)
		w.WriteHeader(aerr.Status)
		b, _ := json.Marshal(map[string]string{"Type": "User", "Message": aerr.Message})
		w.Write(b)
		return
	}
	b, _ := json.Marshal(resp)
	w.Write(b)
}

// https://docs.aws.amazon.com/lambda/latest/api/API_ListFunctions.html
func lambdaListFunctions(c *call) (any, *Error) {
	fs := c.items(snapshot.ResourceLambda, true)
	start, end, next, err := c.page(len(fs), "MaxItems", "Marker")
	if err != nil {
		return nil, err
	}
	list := []map[string]any{}
	for _, f := range fs[start:end] {
		list = append(list, map[string]any{"FunctionName": f.Name, "FunctionArn": f.ARN})
	}
	out := map[string]any{"Functions": list}
	if next != "" {
		out["NextMarker"] = next
	}
	return out, nil
}

// https://docs.aws.amazon.com/lambda/latest/api/API_GetPolicy.html
func lambdaGetPolicy(c *call) (any, *Error) {
	f := c.item(snapshot.ResourceLambda, true, c.str("FunctionName"))
	if f == nil {
		return nil, errf(404, "ResourceNotFoundException", "Function not found: %s", c.str("FunctionName"))
	}
	p := policyText(f)
	if p == "" {
		return nil, errf(404, "ResourceNotFoundException", "The resource you requested does not exist.")
	}
	return map[string]any{"Policy": p, "RevisionId": "fake-revision"}, nil
}
