package catalog

// The methods below let *Catalog serve the small interfaces its consumers
// define (policy.Catalog, trail.ActionChecker), so those packages need not
// import this one.

// ActionExists reports whether "service:Action" exists (case-insensitive).
func (c *Catalog) ActionExists(name string) bool {
	_, ok := c.Action(name)
	return ok
}

// ExpandActions returns the canonical names of the actions matching an IAM
// wildcard pattern.
func (c *Catalog) ExpandActions(pattern string) []string {
	as := c.Expand(pattern)
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = a.FullName()
	}
	return out
}

// ResourceARNMatchesAction reports whether arn matches a resource type the
// action accepts. known is false when the catalog cannot tell (unknown
// action, or one without resource-level permissions).
func (c *Catalog) ResourceARNMatchesAction(action, arn string) (known, ok bool) {
	a, found := c.Action(action)
	if !found || !a.SupportsResourceLevel() {
		return false, false
	}
	return true, len(a.ResourceTypesMatching(arn)) > 0
}

// ActionHasResourceLevel reports whether the action supports resource-level
// permissions (false for unknown actions).
func (c *Catalog) ActionHasResourceLevel(action string) bool {
	a, found := c.Action(action)
	return found && a.SupportsResourceLevel()
}
