package catalog

import (
	"slices"
	"strings"
)

// The catalog's generated data has no dependent actions (the Service
// Authorization Reference's JSON does not carry that column, see
// docs/catalog.md): this curated table lists, for the APIs that need more
// than one action, what else a call needs, each entry with its source.
// Generating a policy from observed calls uses it so the policy keeps
// working (internal/leastpriv, dependent.go).

// DependentScope says on which resources a dependent action is needed.
type DependentScope int

const (
	// SameResources: on the resources the observed action was used on.
	SameResources DependentScope = iota
	// EachItem: on every item the call named (secrets of a batch, ...):
	// CloudTrail names them in the request, not as the action's resource.
	EachItem
	// OtherResource: on another resource of the call (the destination key
	// of a re-encryption, the source object of a copy).
	OtherResource
	// AnyResource: an action without resource-level permissions ("*").
	AnyResource
)

// Dependent is one curated dependent-action fact.
type Dependent struct {
	Action string         // the observed action, "service:Name"
	Needs  string         // what the call also needs
	Scope  DependentScope // on which resources
	// When is empty when the call always needs Needs; else the request
	// feature that makes it needed ("filters are used"), which a usage
	// row does not show: generation then only notes it.
	When   string
	Source string // the AWS documentation page stating it
}

var dependents = []Dependent{
	// "Required permissions: secretsmanager:BatchGetSecretValue, and you must
	// have secretsmanager:GetSecretValue for each secret. If you use filters,
	// you must also have secretsmanager:ListSecrets."
	{Action: "secretsmanager:BatchGetSecretValue", Needs: "secretsmanager:GetSecretValue", Scope: EachItem,
		Source: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html"},
	{Action: "secretsmanager:BatchGetSecretValue", Needs: "secretsmanager:ListSecrets", Scope: AnyResource, When: "the call uses filters",
		Source: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html"},
	{Action: "secretsmanager:BatchGetSecretValue", Needs: "kms:Decrypt", Scope: OtherResource, When: "a secret is encrypted with a customer managed key",
		Source: "https://docs.aws.amazon.com/secretsmanager/latest/apireference/API_BatchGetSecretValue.html"},
	// "ReEncrypt is authorized twice, once as ReEncryptFrom on the source
	// KMS key and once as ReEncryptTo on the destination KMS key."
	{Action: "kms:ReEncryptFrom", Needs: "kms:ReEncryptTo", Scope: OtherResource,
		Source: "https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html"},
	{Action: "kms:ReEncryptTo", Needs: "kms:ReEncryptFrom", Scope: OtherResource,
		Source: "https://docs.aws.amazon.com/kms/latest/APIReference/API_ReEncrypt.html"},
}

// DependentsOf returns the curated dependent actions of action (case-
// insensitive), in table order.
func DependentsOf(action string) []Dependent {
	var out []Dependent
	for _, d := range dependents {
		if strings.EqualFold(d.Action, action) {
			out = append(out, d)
		}
	}
	return out
}

// Dependents returns the whole curated table.
func Dependents() []Dependent { return slices.Clone(dependents) }
