package awsfake

import (
	"strings"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// AWS KMS over JSON 1.1 (X-Amz-Target TrentService.Op): the key list, key
// policies and key metadata.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_Operations.html
func init() {
	jsonTargets["TrentService"] = "kms"
	resourceOps["kms"] = map[string]func(*call) (any, *Error){
		"ListKeys":     kmsListKeys,
		"GetKeyPolicy": kmsGetKeyPolicy,
		"DescribeKey":  kmsDescribeKey,
	}
}

func keyID(arn string) string { return arn[strings.LastIndexByte(arn, '/')+1:] }

// https://docs.aws.amazon.com/kms/latest/APIReference/API_ListKeys.html
func kmsListKeys(c *call) (any, *Error) {
	keys := c.items(snapshot.ResourceKMSKey, true)
	start, end, next, err := c.page(len(keys), "Limit", "Marker")
	if err != nil {
		return nil, err
	}
	var out []map[string]any
	for _, k := range keys[start:end] {
		out = append(out, map[string]any{"KeyId": keyID(k.ARN), "KeyArn": k.ARN})
	}
	resp := map[string]any{"Keys": out, "Truncated": next != ""}
	if next != "" {
		resp["NextMarker"] = next
	}
	return resp, nil
}

func (c *call) key() (*snapshot.ResourcePolicy, *Error) {
	ref := c.str("KeyId")
	for _, k := range c.items(snapshot.ResourceKMSKey, true) {
		if k.ARN == ref || keyID(k.ARN) == ref {
			return k, nil
		}
	}
	return nil, errf(400, "NotFoundException", "Key '%s' does not exist", ref)
}

// https://docs.aws.amazon.com/kms/latest/APIReference/API_GetKeyPolicy.html
func kmsGetKeyPolicy(c *call) (any, *Error) {
	k, err := c.key()
	if err != nil {
		return nil, err
	}
	if n := c.str("PolicyName"); n != "" && n != "default" {
		return nil, errf(400, "NotFoundException", "Policy '%s' does not exist", n)
	}
	return map[string]any{"Policy": policyText(k), "PolicyName": "default"}, nil
}

// https://docs.aws.amazon.com/kms/latest/APIReference/API_DescribeKey.html
func kmsDescribeKey(c *call) (any, *Error) {
	k, err := c.key()
	if err != nil {
		return nil, err
	}
	mgr := k.KeyManager
	if mgr == "" {
		mgr = "CUSTOMER"
	}
	return map[string]any{"KeyMetadata": map[string]any{"KeyId": keyID(k.ARN), "Arn": k.ARN, "AWSAccountId": c.who.account,
		"KeyManager": mgr, "KeyState": "Enabled", "Enabled": true}}, nil
}
