package awsfake

import (
	"fmt"
	"strings"
	"time"
)

// stsOps are the STS operations the fake serves (query protocol).
var stsOps = map[string]func(*call) (any, *Error){
	"GetCallerIdentity": stsGetCallerIdentity,
	"AssumeRole":        stsAssumeRole,
}

func stsGetCallerIdentity(c *call) (any, *Error) {
	x := &xmlBody{}
	x.el("Arn", c.who.arn)
	x.el("UserId", c.who.userID)
	x.el("Account", c.who.account)
	return x, nil
}

// stsAssumeRole issues fake temporary credentials tied to the role's
// account. The role itself is not checked against the scenario: every
// account in it is assumed to have the role (as Organizations-created
// accounts have OrganizationAccountAccessRole).
func stsAssumeRole(c *call) (any, *Error) {
	roleARN, session := c.str("RoleArn"), c.str("RoleSessionName")
	p := strings.SplitN(roleARN, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[2] != "iam" || !strings.HasPrefix(p[5], "role/") {
		return nil, errf(400, "ValidationError", "%s is invalid", roleARN)
	}
	if session == "" {
		return nil, errf(400, "ValidationError", "1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	}
	account, role := p[4], strings.TrimPrefix(p[5], "role/")
	_, known := c.s.accounts[account]
	if !known && c.s.scenario.Organization != nil {
		for _, oa := range c.s.scenario.Organization.Accounts {
			known = known || oa.ID == account
		}
	}
	if !known || c.s.faults.denyAssume[account] {
		return nil, errf(403, "AccessDenied", "User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.who.arn, roleARN)
	}
	c.s.nextKey++
	akid := fmt.Sprintf("ASIA%s%04dFAKE", account, c.s.nextKey%10000)
	roleID := "AROAFAKE" + strings.ToUpper(account)
	arn := fmt.Sprintf("arn:aws:sts::%s:assumed-role/%s/%s", account, role, session)
	c.s.keys[akid] = credIdentity{account: account, arn: arn, userID: roleID + ":" + session}
	x := &xmlBody{}
	x.open("Credentials")
	x.el("AccessKeyId", akid)
	x.el("SecretAccessKey", fmt.Sprintf("fakeTempSecret%016d", c.s.nextKey))
	x.el("SessionToken", fmt.Sprintf("FAKE-SESSION-TOKEN-%s-%d", account, c.s.nextKey))
	x.time("Expiration", time.Now().UTC().Add(time.Hour))
	x.close("Credentials")
	x.open("AssumedRoleUser")
	x.el("AssumedRoleId", roleID+":"+session)
	x.el("Arn", arn)
	x.close("AssumedRoleUser")
	x.int("PackedPolicySize", 0)
	return x, nil
}
