package awsfake

import (
	"fmt"
	"sort"
	"strconv"
	"time"

	"github.com/seiri-dev/seiri/internal/snapshot"
)

// IAM write operations used by the credential retirement workflow. They
// change the seeded snapshot structures under s.mu (dispatch holds it).
func init() {
	for name, h := range map[string]func(*call) (any, *Error){
		"UpdateAccessKey": iamUpdateAccessKey,
		"DeleteAccessKey": iamDeleteAccessKey,
		"CreateAccessKey": iamCreateAccessKey,
		"TagUser":         iamTagUser,
		"UntagUser":       iamUntagUser,
		"ListUserTags":    iamListUserTags,
	} {
		iamOps[name] = h
	}
}

// members reads a query-protocol list (Name.member.1, Name.member.2, ...).
func (c *call) members(name string) []string {
	var out []string
	for i := 1; ; i++ {
		v, ok := c.form[name+".member."+strconv.Itoa(i)]
		if !ok {
			return out
		}
		out = append(out, v[0])
	}
}

// keyOf finds an access key by id among the user's keys (UserName given) or
// every user of the account (UserName omitted: the caller's own user in AWS;
// the fake searches the account, which is what callers naming the user get).
func (c *call) keyOf(id string) (*snapshot.User, int, *Error) {
	a, err := c.account()
	if err != nil {
		return nil, 0, err
	}
	name := c.str("UserName")
	for i := range a.Users {
		u := &a.Users[i]
		if name != "" && u.UserName != name {
			continue
		}
		for j := range u.AccessKeys {
			if u.AccessKeys[j].AccessKeyID == id {
				return u, j, nil
			}
		}
	}
	if name != "" {
		if _, err := c.user(name); err != nil {
			return nil, 0, err
		}
	}
	return nil, 0, errf(404, "NoSuchEntity", "The Access Key with id %s cannot be found.", id)
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_UpdateAccessKey.html
func iamUpdateAccessKey(c *call) (any, *Error) {
	st := c.str("Status")
	if st != "Active" && st != "Inactive" {
		return nil, errf(400, "ValidationError", "1 validation error detected: Value '%s' at 'status' failed to satisfy constraint: Member must satisfy enum value set: [Active, Inactive]", st)
	}
	u, j, err := c.keyOf(c.str("AccessKeyId"))
	if err != nil {
		return nil, err
	}
	u.AccessKeys[j].Status = st
	return &xmlBody{}, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_DeleteAccessKey.html
func iamDeleteAccessKey(c *call) (any, *Error) {
	u, j, err := c.keyOf(c.str("AccessKeyId"))
	if err != nil {
		return nil, err
	}
	u.AccessKeys = append(u.AccessKeys[:j], u.AccessKeys[j+1:]...)
	return &xmlBody{}, nil
}

// CreateAccessKey returns a fake secret that tests must never see printed.
// IAM allows two access keys per user (IAM quotas page).
func iamCreateAccessKey(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	if len(u.AccessKeys) >= 2 {
		return nil, errf(409, "LimitExceeded", "Cannot exceed quota for AccessKeysPerUser: 2")
	}
	c.s.nextKey++
	id := fmt.Sprintf("AKIAFAKENEW%09d", c.s.nextKey)
	now := time.Now().UTC().Truncate(time.Second)
	u.AccessKeys = append(u.AccessKeys, snapshot.AccessKey{AccessKeyID: id, Status: "Active", CreateDate: now})
	x := &xmlBody{}
	x.open("AccessKey")
	x.el("UserName", u.UserName)
	x.el("AccessKeyId", id)
	x.el("Status", "Active")
	x.el("SecretAccessKey", FakeNewSecret)
	x.time("CreateDate", now)
	x.close("AccessKey")
	return x, nil
}

// FakeNewSecret is the secret CreateAccessKey returns: tests assert it never
// appears in seiri's output, files or journal.
const FakeNewSecret = "fakeNewSecretNeverPrint/0000000000000000"

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_TagUser.html
// (at most 50 tags per user; keys ≤ 128, values ≤ 256 characters).
func iamTagUser(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	add := map[string]string{}
	for i := 1; ; i++ {
		k, ok := c.form["Tags.member."+strconv.Itoa(i)+".Key"]
		if !ok {
			break
		}
		v := c.form.Get("Tags.member." + strconv.Itoa(i) + ".Value")
		if len(k[0]) > 128 || len(v) > 256 {
			return nil, errf(400, "ValidationError", "tag key or value too long")
		}
		add[k[0]] = v
	}
	n := len(u.Tags)
	for k := range add {
		if _, ok := u.Tags[k]; !ok {
			n++
		}
	}
	if n > 50 {
		return nil, errf(409, "LimitExceeded", "Cannot exceed quota for TagsPerUser: 50")
	}
	if u.Tags == nil {
		u.Tags = map[string]string{}
	}
	for k, v := range add {
		u.Tags[k] = v
	}
	return &xmlBody{}, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_UntagUser.html
func iamUntagUser(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	for _, k := range c.members("TagKeys") {
		delete(u.Tags, k)
	}
	return &xmlBody{}, nil
}

// https://docs.aws.amazon.com/IAM/latest/APIReference/API_ListUserTags.html
func iamListUserTags(c *call) (any, *Error) {
	u, err := c.user(c.str("UserName"))
	if err != nil {
		return nil, err
	}
	keys := make([]string, 0, len(u.Tags))
	for k := range u.Tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	start, end, marker, perr := c.page(len(keys), "MaxItems", "Marker")
	if perr != nil {
		return nil, perr
	}
	ks := keys[start:end]
	x := &xmlBody{}
	x.list("Tags", len(ks), func(i int) {
		x.el("Key", ks[i])
		x.el("Value", u.Tags[ks[i]])
	})
	x.truncated(marker)
	return x, nil
}
