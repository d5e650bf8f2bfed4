package risk

import (
	"fmt"
	"strings"
	"sync"

	"github.com/seiri-dev/seiri/internal/policy"
	"github.com/seiri-dev/seiri/internal/snapshot"
)

// KeyPolicies gives the policy engine the collected KMS key policies: a key
// policy is the resource policy of every request on its key, and only a key
// policy that names the account (arn:aws:iam::ACCOUNT:root) lets IAM
// policies grant access to the key.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
type KeyPolicies struct {
	docs map[string]*snapshot.ResourcePolicy
	// collected[account+"/"+region] is true where KMS was read.
	collected map[string]bool
	mu        sync.Mutex
	cache     map[string]keyEntry
}

type keyEntry struct {
	p   *policy.Policy
	err error
}

// NewKeyPolicies indexes the KMS keys of s by ARN.
func NewKeyPolicies(s *snapshot.Snapshot) *KeyPolicies {
	k := &KeyPolicies{docs: map[string]*snapshot.ResourcePolicy{}, collected: map[string]bool{}, cache: map[string]keyEntry{}}
	for _, a := range s.Accounts {
		rp := a.ResourcePolicies
		if rp == nil {
			continue
		}
		for _, sc := range rp.Scopes {
			if sc.Service == snapshot.ResourceKMSKey && sc.Error == "" {
				k.collected[a.AccountID+"/"+sc.Region] = true
			}
		}
		for i := range rp.Items {
			if it := &rp.Items[i]; it.Type == snapshot.ResourceKMSKey {
				k.docs[it.ARN] = it
			}
		}
	}
	return k
}

// KeyPolicyStatus says what Lookup knows about a key.
type KeyPolicyStatus uint8

const (
	// KeyFound: the key and its policy are in the snapshot.
	KeyFound KeyPolicyStatus = iota + 1
	// KeyNotCollected: KMS was not collected in the key's account and
	// region: its policy is unknown.
	KeyNotCollected
	// KeyUnknown: KMS was collected there and the key is not in it (deleted
	// since, or not a key ARN).
	KeyUnknown
)

// Lookup returns the compiled key policy of the KMS key keyARN
// (arn:PARTITION:kms:REGION:ACCOUNT:key/ID), for policy.Policies.Resource.
// An unparsable key policy is an error naming the key.
func (k *KeyPolicies) Lookup(keyARN string) (*policy.Policy, KeyPolicyStatus, error) {
	it, ok := k.docs[keyARN]
	if !ok {
		if k.collected[accountRegion(keyARN)] {
			return nil, KeyUnknown, nil
		}
		return nil, KeyNotCollected, nil
	}
	k.mu.Lock()
	defer k.mu.Unlock()
	if e, ok := k.cache[keyARN]; ok {
		return e.p, KeyFound, e.err
	}
	var e keyEntry
	if len(it.Policy) == 0 {
		e.err = fmt.Errorf("KMS key %s: no key policy in the snapshot", keyARN)
	} else if p, err := policy.Parse(it.Policy, policy.TypeResource); err != nil {
		e.err = fmt.Errorf("KMS key %s: key policy: %w", keyARN, err)
	} else {
		e.p = p
	}
	k.cache[keyARN] = e
	return e.p, KeyFound, e.err
}

// accountRegion returns "ACCOUNT/REGION" of an ARN.
func accountRegion(arn string) string {
	p := strings.SplitN(arn, ":", 6)
	if len(p) < 6 {
		return ""
	}
	return p[4] + "/" + p[3]
}
