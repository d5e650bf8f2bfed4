#!/usr/bin/env python3
"""Writes fixtures.jsonl: test cases of @cloud-copilot/iam-simulate
(https://github.com/cloud-copilot/iam-simulate, AGPL-3.0, files under
src/core_engine/coreEngineTests/ at the commits named below), transcribed
into seiri's case format (docs/policy-cases.md). Each case keeps its name
and source file in the id; "expected" is the evaluator's own expected
answer. Discovery-mode cases are left out (seiri has no such mode).

Conversion: request.resource.resource -> request.resource,
request.resource.accountId -> request.resourceAccount, identityPolicies ->
identityPolicies, serviceControlPolicies/resourceControlPolicies (one entry
per level, root first) -> scps/rcps levels, endpointPolicies ->
vpcEndpointPolicies, Allowed/ImplicitlyDenied/ExplicitlyDenied ->
Allow/ImplicitDeny/ExplicitDeny.

Run: python3 convert.py > fixtures.jsonl
"""
import json

SRC = {
    "kms/sameAccount.json": "0eff59ece2a1131e885029f8e53f62859dfb746c",
    "kms/differentAccount.json": "0eff59ece2a1131e885029f8e53f62859dfb746c",
    "kms/aliases.json": "08f002aaa537f13a524f48127cfbbb5f3999c810",
    "sts/getCallerIdentity/getCallerIdentity.json": "be26ed88e51da293e44e2dac721531bbdae6a0b8",
    "iam/managedPolicies/aws/denied.json": "b8d74fb2ec8a24a9f98f9aad3bbce2d5b2bfc3ee",
    "endpoints/actionDeny.json": "98cc9cdc20c81b95d55a405a33fff168c89ed0cd",
    "rcps.json": "4f9d37f7f1368a8224bbb22f6fa60d6443781344",
    "sessionPolicies.json": "224f37233ea974ebf1086dfa139c461e7ff32ffd",
    "conditions/forAllValuesMisused.json": "0739257f56695482742974dd4ff1fcd890a202f4",
    "sts/assumeRole/sameAccount.json": "fa8504007bfaaeba9044ff485a9c9cdac7173ee4",
}
EXPECTED = {"Allowed": "Allow", "ImplicitlyDenied": "ImplicitDeny", "ExplicitlyDenied": "ExplicitDeny"}
OUT = []
COUNT = {}


def P(*stmts):
    return {"Version": "2012-10-17", "Statement": list(stmts)}


def S(effect, action, resource, **kw):
    st = {"Effect": effect, "Action": action, "Resource": resource}
    st.update(kw)
    return st


def case(src, name, principal, action, resource, account, expected, identity=(), resource_policy=None,
         scps=None, rcps=None, session=None, endpoints=None, context=None):
    assert src in SRC
    i = COUNT.get(src, 0)
    COUNT[src] = i + 1
    c = {
        "id": f"iam-simulate:{src}#{i}: {name}",
        "request": {"principal": principal, "action": action, "resource": resource,
                    "resourceAccount": account, "context": context or {}},
        "identityPolicies": list(identity),
        "resourcePolicy": resource_policy,
        "permissionBoundary": None,
        "scps": scps or [],
        "rcps": rcps or [],
        "sessionPolicy": session,
        "expected": EXPECTED[expected],
        "tags": ["iam-simulate-fixture"],
    }
    if endpoints:
        c["vpcEndpointPolicies"] = endpoints
    OUT.append(c)


U = "arn:aws:iam::123456789012:user/test-user"
A = "123456789012"

# kms/sameAccount.json and kms/differentAccount.json
for src, acct, user in (("kms/sameAccount.json", A, U),
                        ("kms/differentAccount.json", "111111111111", "arn:aws:iam::222222222222:user/test-user")):
    key = f"arn:aws:kms:us-east-1:{acct}:key/1234"
    pacct = user.split(":")[4]
    root = f"arn:aws:iam::{pacct}:root"
    other = f"arn:aws:iam::{pacct}:user/other-user"
    allow_id = P(S("Allow", "kms:DescribeKey", key))
    kp = lambda eff, who: P(S(eff, "kms:DescribeKey", "*", Principal={"AWS": who}))
    k = lambda *a, **kw: case(src, *a[:1], user, "kms:DescribeKey", key, acct, *a[1:], **kw)
    k("implicit deny when no policies", "ImplicitlyDenied")
    k("implicit deny when different principal is allowed by resource policy", "ImplicitlyDenied", resource_policy=kp("Allow", other))
    k("Implicitly denied when identity policy allows but not resource policy", "ImplicitlyDenied", identity=[allow_id])
    k("Implicitly denied when account allowed by resource policy but not identity policy", "ImplicitlyDenied", resource_policy=kp("Allow", root))
    if src == "kms/sameAccount.json":
        k("Allowed when resource policy allows for principal", "Allowed",
          resource_policy=P(S("Allow", "kms:DescribeKey", key, Principal={"AWS": user})))
    else:
        k("Implicitly denied when resource policy allows for principal but not identity policy", "ImplicitlyDenied", resource_policy=kp("Allow", user))
    k("Denied when resource policy allows for account number but no identity policy", "ImplicitlyDenied", resource_policy=kp("Allow", pacct))
    k("Allowed when resource policy allows account and identity policy both allow", "Allowed", identity=[allow_id], resource_policy=kp("Allow", root))
    k("Denied when denied by identity policy", "ExplicitlyDenied", identity=[P(S("Deny", "kms:DescribeKey", key))], resource_policy=kp("Allow", root))
    k("Denied when denied by resource policy", "ExplicitlyDenied", identity=[allow_id], resource_policy=kp("Deny", root))

# kms/aliases.json
src = "kms/aliases.json"
for act, alias, exp in (("kms:DeleteAlias", "alias/example-key", "Allowed"), ("kms:CreateAlias", "alias/example-key", "Allowed"),
                        ("kms:UpdateAlias", "alias/example-key", "Allowed"), ("kms:DeleteAlias", "alias/aws/s3", "ImplicitlyDenied"),
                        ("kms:CreateAlias", "alias/aws/s3", "ImplicitlyDenied"), ("kms:UpdateAlias", "alias/aws/s3", "ImplicitlyDenied")):
    arn = f"arn:aws:kms:us-east-1:{A}:{alias}"
    what = "AWS-managed alias" if "aws/" in alias else "same-account customer alias"
    case(src, f"{exp} for {what} {act}", U, act, arn, A, exp, identity=[P(S("Allow", act, arn))])
arn = f"arn:aws:kms:us-east-1:{A}:alias/aws/s3"
case(src, "Explicitly denied for AWS-managed alias when identity policy explicitly denies", U, "kms:DeleteAlias", arn, A,
     "ExplicitlyDenied", identity=[P(S("Allow", "kms:DeleteAlias", arn), S("Deny", "kms:DeleteAlias", arn))])

# sts/getCallerIdentity/getCallerIdentity.json
src = "sts/getCallerIdentity/getCallerIdentity.json"
case(src, "sts:GetCallerIdentity should be implicitly allowed", U, "sts:GetCallerIdentity", "*", A, "Allowed")
case(src, "sts:GetCallerIdentity should be allowed even if explicitly denied", U, "sts:GetCallerIdentity", "*", A, "Allowed",
     identity=[P(S("Deny", "sts:GetCallerIdentity", "*"))])

# iam/managedPolicies/aws/denied.json
src = "iam/managedPolicies/aws/denied.json"
for act in ("CreatePolicy", "CreatePolicyVersion", "DeletePolicy", "DeletePolicyVersion", "SetDefaultPolicyVersion", "TagPolicy", "UntagPolicy"):
    case(src, f"deny iam:{act} for AWS managed policies", U, "iam:" + act, "arn:aws:iam::aws:policy/AdministratorAccess", A,
         "ImplicitlyDenied", identity=[P(S("Allow", "*", "*"))])

# endpoints/actionDeny.json
src = "endpoints/actionDeny.json"
bucket = "arn:aws:s3:::my-bucket"
case(src, "Implicit Deny when Endpoint Policy Does Not Match Action", U, "s3:ListBucket", bucket, A, "ImplicitlyDenied",
     identity=[P(S("Allow", "s3:ListBucket", bucket))], endpoints=[P(S("Allow", "s3:GetObject", "*"))])
case(src, "Explicitly Deny when Endpoint Policy Denys Action", U, "s3:ListBucket", bucket, A, "ExplicitlyDenied",
     identity=[P(S("Allow", "s3:ListBucket", bucket))], endpoints=[P(S("Allow", "*", "*"), S("Deny", "s3:ListBucket", "*"))])

# rcps.json
src = "rcps.json"
lab = P(S("Allow", "s3:ListAllMyBuckets", "*"))
deny_lab = P(S("Deny", "s3:ListAllMyBuckets", "*", Principal="*"))
obj = "arn:aws:s3:::mybucket/object1.csv"
case(src, "generic RCP test", U, "s3:ListAllMyBuckets", "*", A, "ImplicitlyDenied", rcps=[[]])
case(src, "RCPs allow by default if identity policy allows", U, "s3:ListAllMyBuckets", "*", A, "Allowed", identity=[lab], rcps=[[]])
case(src, "RCPs denied if denied by an RCP", U, "s3:ListAllMyBuckets", "*", A, "ExplicitlyDenied", identity=[lab], rcps=[[deny_lab]])
case(src, "RCPs denied if denied by any level of the RCPs", U, "s3:ListAllMyBuckets", "*", A, "ExplicitlyDenied", identity=[lab], rcps=[[deny_lab], []])
case(src, "RCPs allowed if action does not match", U, "s3:GetObject", obj, A, "Allowed", identity=[P(S("Allow", "s3:GetObject", "*"))], rcps=[[deny_lab]])
case(src, "RCPs allowed if resource does not match", U, "s3:GetObject", obj, A, "Allowed", identity=[P(S("Allow", "s3:GetObject", "*"))],
     rcps=[[P(S("Deny", "s3:GetObject", "arn:aws:s3:::otherbucket/*", Principal="*"))]])
case(src, "RCPs denied if RCP Allows but SCP Denies", U, "s3:GetObject", obj, A, "ExplicitlyDenied", identity=[P(S("Allow", "s3:GetObject", "*"))],
     rcps=[[]], scps=[[P(S("Deny", "s3:GetObject", "*"))]])

# sessionPolicies.json (the last case runs in Discovery mode: left out)
src = "sessionPolicies.json"
sess = "arn:aws:sts::123456789012:assumed-role/test-role/session-name"
tobj = "arn:aws:s3:::mybucket/testobject"
get = P(S("Allow", "s3:GetObject", tobj))
rp = lambda who: P(S("Allow", "s3:GetObject", tobj, Principal={"AWS": who}))
role = "arn:aws:iam::123456789012:role/test-role"
case(src, "sts:GetCallerIdentity allowed if denied by session policy", sess, "sts:GetCallerIdentity", "*", A, "Allowed", session=P(S("Deny", "*", "*")))
case(src, "Allow all in session policy allows if allowed by identity policy", sess, "s3:GetObject", tobj, A, "Allowed", identity=[get], session=P(S("Allow", "*", "*")))
case(src, "Allow all in session does not allow if not allowed by identity policy", sess, "s3:GetObject", tobj, A, "ImplicitlyDenied", session=P(S("Allow", "*", "*")))
case(src, "Implicit deny in session policy denies even if allowed by identity policy", sess, "s3:GetObject", tobj, A, "ImplicitlyDenied", identity=[get], session=P(S("Allow", "ec2:*", "*")))
case(src, "Explicit deny in session policy denies even if allowed by identity policy", sess, "s3:GetObject", tobj, A, "ExplicitlyDenied", identity=[get], session=P(S("Deny", "s3:GetObject", "*")))
case(src, "Implicit deny in session policy denies even if allowed by resource policy", sess, "s3:GetObject", tobj, A, "ImplicitlyDenied", session=P(S("Allow", "ec2:*", "*")), resource_policy=rp(role))
case(src, "Explicit deny in session policy denies even if allowed by resource policy", sess, "s3:GetObject", tobj, A, "ExplicitlyDenied", session=P(S("Deny", "s3:GetObject", "*")), resource_policy=rp(role))
case(src, "Implicit deny in session policy denies even if session ARN in resource policy", sess, "s3:GetObject", tobj, A, "ImplicitlyDenied", session=P(S("Allow", "ec2:*", "*")), resource_policy=rp(sess))

# conditions/forAllValuesMisused.json
src = "conditions/forAllValuesMisused.json"
fav = P(S("Allow", "*", "*", Condition={"ForAllValues:StringEquals": {"aws:PrincipalOrgId": ["o-abcdefg", "o-zyxwvu"]}}))
case(src, "ForAllValues:StringEquals Single Value Key: Match", U, "s3:ListBucket", bucket, A, "Allowed", identity=[fav], context={"aws:PrincipalOrgId": "o-abcdefg"})
case(src, "ForAllValues:StringEquals Single Value Key: No Match", U, "s3:ListBucket", bucket, A, "ImplicitlyDenied", identity=[fav], context={"aws:PrincipalOrgId": "o-zzzzzz"})

# sts/assumeRole/sameAccount.json
src = "sts/assumeRole/sameAccount.json"
roleT = "arn:aws:iam::123456789012:role/test-role"
tp = lambda eff, who, res="*": P(S(eff, "sts:AssumeRole", res, Principal={"AWS": who}))
allow_ar = P(S("Allow", "sts:AssumeRole", roleT))
ar = lambda *a, **kw: case(src, *a[:1], U, "sts:AssumeRole", roleT, A, *a[1:], **kw)
ar("implicit deny when no policies", "ImplicitlyDenied")
ar("implicit deny when different principal is allowed by trust policy", "ImplicitlyDenied", resource_policy=tp("Allow", "arn:aws:iam::123456789012:user/other-user"))
ar("sts:AssumeRole: Implicitly denied when identity policy allows but not trust policy", "ImplicitlyDenied", identity=[allow_ar],
   resource_policy=tp("Allow", "arn:aws:iam::123456789012:user/other-user", roleT))
ar("Implicitly denied when account allowed by trust policy but not identity policy", "ImplicitlyDenied", resource_policy=tp("Allow", "arn:aws:iam::123456789012:root"))
ar("Allowed when trust policy allows for principal", "Allowed", resource_policy=tp("Allow", U, roleT))
ar("Denied when trust policy allows for account number but no identity policy", "ImplicitlyDenied", resource_policy=tp("Allow", A))
ar("Allowed when trust policy allows account and identity policy both allow", "Allowed", identity=[allow_ar], resource_policy=tp("Allow", "arn:aws:iam::123456789012:root"))
ar("Denied when denied by identity policy", "ExplicitlyDenied", identity=[P(S("Deny", "sts:AssumeRole", roleT))], resource_policy=tp("Allow", "arn:aws:iam::123456789012:root"))
ar("Denied when denied by trust policy", "ExplicitlyDenied", identity=[allow_ar], resource_policy=tp("Deny", "arn:aws:iam::123456789012:root"))

for c in OUT:
    print(json.dumps(c, separators=(",", ":")))
