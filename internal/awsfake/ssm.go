package awsfake

import (
	"encoding/base64"
	"sync"
)

// AWS Systems Manager Parameter Store over JSON 1.1 (X-Amz-Target
// AmazonSSM.Op): GetParameter, with SecureString values returned in the
// clear only WithDecryption (AWS Systems Manager API Reference,
// GetParameter).
func init() {
	jsonTargets["AmazonSSM"] = "ssm"
	resourceOps["ssm"] = map[string]func(*call) (any, *Error){
		"GetParameter": ssmGetParameter,
	}
}

// SSMParameter is one parameter of the fake's Parameter Store.
type SSMParameter struct {
	Name  string
	Type  string // String | StringList | SecureString
	Value string
}

type ssmStore struct {
	mu     sync.Mutex
	params map[string]map[string]SSMParameter // account → name → parameter
	reads  []string                           // names read WithDecryption
}

var ssmStores sync.Map // *Server → *ssmStore

func (s *Server) ssm() *ssmStore {
	v, _ := ssmStores.LoadOrStore(s, &ssmStore{params: map[string]map[string]SSMParameter{}})
	return v.(*ssmStore)
}

// PutSSMParameter stores a parameter in account's Parameter Store.
func (s *Server) PutSSMParameter(account string, p SSMParameter) {
	st := s.ssm()
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.params[account] == nil {
		st.params[account] = map[string]SSMParameter{}
	}
	st.params[account][p.Name] = p
}

// SSMDecryptedReads lists the parameters read with decryption, in order.
func (s *Server) SSMDecryptedReads() []string {
	st := s.ssm()
	st.mu.Lock()
	defer st.mu.Unlock()
	return append([]string(nil), st.reads...)
}

// https://docs.aws.amazon.com/systems-manager/latest/APIReference/API_GetParameter.html
func ssmGetParameter(c *call) (any, *Error) {
	st := c.s.ssm()
	st.mu.Lock()
	defer st.mu.Unlock()
	name := c.str("Name")
	p, ok := st.params[c.who.account][name]
	if !ok {
		return nil, errf(400, "ParameterNotFound", "")
	}
	decrypt, _ := c.body["WithDecryption"].(bool)
	v := p.Value
	if p.Type == "SecureString" {
		if decrypt {
			st.reads = append(st.reads, name)
		} else {
			// Without decryption AWS returns the ciphertext.
			v = "AQICAH" + base64.StdEncoding.EncodeToString([]byte("fake-ciphertext:"+name))
		}
	}
	return map[string]any{"Parameter": map[string]any{
		"Name": p.Name, "Type": p.Type, "Value": v, "Version": 1,
		"ARN": "arn:aws:ssm:" + c.region + ":" + c.who.account + ":parameter/" + trimSlash(p.Name),
	}}, nil
}

func trimSlash(s string) string {
	for len(s) > 0 && s[0] == '/' {
		s = s[1:]
	}
	return s
}
