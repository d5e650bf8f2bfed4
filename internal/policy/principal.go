package policy

import "strings"

// PrincipalKind classifies the caller of a request.
type PrincipalKind uint8

const (
	PrincipalOther PrincipalKind = iota
	PrincipalAnonymous
	PrincipalRoot
	PrincipalUser
	PrincipalRole        // a role ARN used directly as the caller
	PrincipalAssumedRole // arn:aws:sts::ACCT:assumed-role/ROLE/SESSION
	PrincipalFederatedUser
	PrincipalService // lambda.amazonaws.com
)

var principalKindNames = [...]string{"other", "anonymous", "root", "user", "role", "assumed-role", "federated-user", "service"}

func (k PrincipalKind) String() string { return principalKindNames[k] }

// PrincipalInfo is a parsed caller.
type PrincipalInfo struct {
	ARN       string
	Kind      PrincipalKind
	Partition string
	Account   string
	Name      string // user name, role name (last path segment) or federated user name
	Session   string // role session name
	// ServiceLinked marks service-linked roles (path /aws-service-role/), to
	// which SCPs and RCPs do not apply (AWS Organizations User Guide, "SCP
	// effects on permissions"; "RCP effects on permissions").
	ServiceLinked bool
}

// iam reports whether the caller is an IAM identity of an account.
func (pi *PrincipalInfo) iam() bool {
	switch pi.Kind {
	case PrincipalRoot, PrincipalUser, PrincipalRole, PrincipalAssumedRole, PrincipalFederatedUser:
		return true
	case PrincipalOther:
		return pi.Account != ""
	}
	return false
}

// splitARN splits an ARN into its six components without allocating.
func splitARN(s string) (parts [6]string, ok bool) {
	if !strings.HasPrefix(s, "arn:") {
		return parts, false
	}
	n := 0
	start := 0
	for i := 0; i < len(s) && n < 5; i++ {
		if s[i] == ':' {
			parts[n] = s[start:i]
			n++
			start = i + 1
		}
	}
	if n < 5 {
		return parts, false
	}
	parts[5] = s[start:]
	return parts, true
}

func isAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < 12; i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// ParsePrincipal classifies a request principal as written in the case
// format: an ARN, a service principal, an account id, or "anonymous".
func ParsePrincipal(s string) PrincipalInfo {
	pi := PrincipalInfo{ARN: s}
	if s == "" || s == "anonymous" || s == "*" {
		pi.Kind = PrincipalAnonymous
		return pi
	}
	if isAccountID(s) {
		pi.Kind, pi.Account, pi.Partition = PrincipalRoot, s, "aws"
		return pi
	}
	parts, ok := splitARN(s)
	if !ok {
		if strings.Contains(s, ".") && !strings.ContainsAny(s, ":/") {
			pi.Kind = PrincipalService
		}
		return pi
	}
	pi.Partition, pi.Account = parts[1], parts[4]
	res := parts[5]
	switch parts[2] {
	case "iam":
		switch {
		case res == "root":
			pi.Kind = PrincipalRoot
		case strings.HasPrefix(res, "user/"):
			pi.Kind = PrincipalUser
			pi.Name = lastSegment(res)
		case strings.HasPrefix(res, "role/"):
			pi.Kind = PrincipalRole
			pi.Name = lastSegment(res)
			pi.ServiceLinked = strings.HasPrefix(res, "role/aws-service-role/")
		}
	case "sts":
		switch {
		case strings.HasPrefix(res, "assumed-role/"):
			rest := res[len("assumed-role/"):]
			if i := strings.IndexByte(rest, '/'); i > 0 {
				pi.Kind = PrincipalAssumedRole
				pi.Name, pi.Session = rest[:i], rest[i+1:]
				// Session ARNs carry no path; service-linked role names
				// start with AWSServiceRoleFor (IAM User Guide, "Using
				// service-linked roles").
				pi.ServiceLinked = strings.HasPrefix(pi.Name, "AWSServiceRoleFor")
			}
		case strings.HasPrefix(res, "federated-user/"):
			pi.Kind = PrincipalFederatedUser
			pi.Name = res[len("federated-user/"):]
		}
	}
	return pi
}

func lastSegment(s string) string {
	if i := strings.LastIndexByte(s, '/'); i >= 0 {
		return s[i+1:]
	}
	return s
}

// principalMatch is how a Principal element names the caller. A grant to
// the account only delegates to the account's own IAM policies; a grant to
// a role ARN is limited by the session's boundary and session policy; a
// grant to the caller itself (user, session, federated user, service, "*")
// stands on its own within the account. (IAM User Guide, "How AWS
// enforcement code logic evaluates requests": resource-based policies.)
type principalMatch uint8

const (
	pmNone principalMatch = iota
	pmAccount
	pmRole
	pmWildcard // "*": names every caller, the session among them
	pmDirect
)

// accountOf returns the account a Principal AWS value names as a whole
// ("123456789012" or "arn:aws:iam::123456789012:root").
func accountOf(v string) (string, bool) {
	if isAccountID(v) {
		return v, true
	}
	if parts, ok := splitARN(v); ok && parts[2] == "iam" && parts[5] == "root" && parts[3] == "" {
		return parts[4], true
	}
	return "", false
}

// match returns how strongly the Principal element names pi.
func (pr *Principal) match(pi *PrincipalInfo) principalMatch {
	if pr.Wildcard {
		return pmWildcard
	}
	best := pmNone
	switch pi.Kind {
	case PrincipalAnonymous:
		return pmNone
	case PrincipalService:
		for _, v := range pr.Service {
			if strings.EqualFold(v, pi.ARN) {
				return pmDirect
			}
		}
		return pmNone
	}
	for _, v := range pr.AWS {
		if acct, ok := accountOf(v); ok {
			if pi.Account == acct && pi.iam() {
				if pi.Kind == PrincipalRoot {
					return pmDirect
				}
				if best < pmAccount {
					best = pmAccount
				}
			}
			continue
		}
		if v == pi.ARN {
			if pi.Kind == PrincipalRole {
				if best < pmRole {
					best = pmRole
				}
				continue
			}
			return pmDirect
		}
		if pi.Kind == PrincipalAssumedRole && roleNames(v, pi) && best < pmRole {
			best = pmRole
		}
		// A federated user session (GetFederationToken) is also named by
		// the ARN of the IAM user that created it; such a grant is limited
		// by the session policy (STS API Reference, GetFederationToken).
		if pi.Kind == PrincipalFederatedUser && userNames(v, pi) && best < pmRole {
			best = pmRole
		}
	}
	for _, v := range pr.Federated {
		if v == pi.ARN {
			return pmDirect
		}
	}
	for _, v := range pr.CanonicalUser {
		if v == pi.ARN {
			return pmDirect
		}
	}
	return best
}

// userNames reports whether v is the ARN of the IAM user that created the
// federated user session pi (same account, same name).
func userNames(v string, pi *PrincipalInfo) bool {
	parts, ok := splitARN(v)
	if !ok || parts[2] != "iam" || parts[4] != pi.Account || !strings.HasPrefix(parts[5], "user/") {
		return false
	}
	return lastSegment(parts[5]) == pi.Name && parts[1] == pi.Partition
}

// roleNames reports whether v is the ARN of the role that pi is a session of.
func roleNames(v string, pi *PrincipalInfo) bool {
	parts, ok := splitARN(v)
	if !ok || parts[2] != "iam" || parts[4] != pi.Account || !strings.HasPrefix(parts[5], "role/") {
		return false
	}
	return lastSegment(parts[5]) == pi.Name && parts[1] == pi.Partition
}

// excludes reports whether a NotPrincipal element exempts pi: "The syntax
// for specifying NotPrincipal is the same as for specifying Principal", so
// the caller is exempt when any listed value names it — the caller itself,
// its role (for a session) or its account. (IAM User Guide, "AWS JSON
// policy elements: NotPrincipal". The page also warns that AWS "might"
// check the account first; seiri follows the element's stated syntax.)
func (pr *Principal) excludes(pi *PrincipalInfo) bool {
	return pr.match(pi) != pmNone
}
