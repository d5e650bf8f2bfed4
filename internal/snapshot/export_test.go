package snapshot

// ParseAuthorizationDetails reads the output of `aws iam
// get-account-authorization-details` as the one account it must hold
// (strict: an entity of another account is an error). accountID may be
// empty: it is then taken from the entities' ARNs. name (the file) is used
// in errors. Only the tests use this strict form; seiri reads files with
// ParseAuthorizationDetailsAccounts.
func ParseAuthorizationDetails(data []byte, name, accountID string) (*Account, error) {
	d, err := decodeAuthDetails(data, name)
	if err != nil {
		return nil, err
	}
	return d.account(name, accountID, true)
}
