// Package awsclient builds aws-sdk-go-v2 configurations the way the AWS CLI
// does (profiles, region, endpoint overrides), with adaptive retry for
// throttling and assume-role into member accounts.
package awsclient

// Options are the global AWS flags of every seiri command.
type Options struct {
	Profile     string // --profile
	Region      string // --region
	EndpointURL string // --endpoint-url (AWS_ENDPOINT_URL[_<SERVICE>] also honoured by the SDK)
	MaxAttempts int    // --max-attempts: SDK attempts per call, including throttling retries
	RoleName    string // --role-name: role assumed in member accounts
	ExternalID  string // --external-id
}

// DefaultRoleName is the role Organizations creates in member accounts.
const DefaultRoleName = "OrganizationAccountAccessRole"
