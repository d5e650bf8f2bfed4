package awsfake

import (
	"encoding/json"
	"net/http"
)

// IAM Access Analyzer over REST-JSON: ListAnalyzers (GET /analyzer, query
// type, maxResults, nextToken), served from the account's AccessAnalyzers
// for the request's region.
// https://docs.aws.amazon.com/access-analyzer/latest/APIReference/API_ListAnalyzers.html
func init() {
	resourceOps["access-analyzer"] = map[string]func(*call) (any, *Error){
		"ListAnalyzers": accessAnalyzerList,
	}
}

func (s *Server) serveAccessAnalyzer(w http.ResponseWriter, r *http.Request) {
	c := &call{s: s, service: "access-analyzer", req: r, form: r.URL.Query()}
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/analyzer":
		c.op = "ListAnalyzers"
	default:
		c.op = r.Method + " " + r.URL.Path
	}
	resp, aerr := s.dispatch(r, c)
	w.Header().Set("X-Amzn-RequestId", "fake")
	w.Header().Set("Content-Type", "application/json")
	if aerr != nil {
		w.Header().Set("X-Amzn-ErrorType", aerr.Code)
		w.WriteHeader(aerr.Status)
		b, _ := json.Marshal(map[string]string{"message": aerr.Message})
		w.Write(b)
		return
	}
	b, _ := json.Marshal(resp)
	w.Write(b)
}

func accessAnalyzerList(c *call) (any, *Error) {
	typ := c.str("type")
	switch typ {
	case "", "ACCOUNT", "ORGANIZATION", "ACCOUNT_UNUSED_ACCESS", "ORGANIZATION_UNUSED_ACCESS", "ACCOUNT_INTERNAL_ACCESS", "ORGANIZATION_INTERNAL_ACCESS":
	default:
		return nil, errf(400, "ValidationException", "Invalid type: %s", typ)
	}
	list := []map[string]any{}
	if c.acct != nil && c.acct.acct.AccessAnalyzers != nil {
		for _, reg := range c.acct.acct.AccessAnalyzers.Regions {
			if reg.Region != c.region {
				continue
			}
			for _, a := range reg.Analyzers {
				if typ != "" && a.Type != typ {
					continue
				}
				list = append(list, map[string]any{"arn": a.ARN, "name": a.Name, "type": a.Type, "status": a.Status,
					"createdAt": "2024-01-01T00:00:00Z"})
			}
		}
	}
	start, end, next, err := c.page(len(list), "maxResults", "nextToken")
	if err != nil {
		return nil, err
	}
	out := map[string]any{"analyzers": list[start:end]}
	if next != "" {
		out["nextToken"] = next
	}
	return out, nil
}
