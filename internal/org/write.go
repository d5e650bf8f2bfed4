package org

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"
)

// Comments are the YAML comments seiri writes into a spec: a header, one
// line per OU (its purpose) and per account (name and email, which the spec
// does not hold for existing accounts: the organization is their truth).
type Comments struct {
	Header   []string
	OUs      map[string]string // by OU path
	Accounts map[string]string // by account id
	Policies map[string]string // by policy name
}

// Marshal writes a spec as YAML with comments. Every string is quoted, so
// names from AWS (attacker-controlled) cannot change the document's shape,
// and comments are stripped of line breaks for the same reason.
func Marshal(sp *Spec, cm Comments) []byte {
	var b bytes.Buffer
	for _, h := range cm.Header {
		fmt.Fprintf(&b, "# %s\n", comment(h))
	}
	fmt.Fprintf(&b, "version: %d\n", sp.Version)
	if sp.ManagementAccount != "" {
		fmt.Fprintf(&b, "management_account: %s\n", q(sp.ManagementAccount))
	}
	if sp.SuspendedOU != "" {
		fmt.Fprintf(&b, "suspended_ou: %s\n", q(sp.SuspendedOU))
	}
	b.WriteString("\nroot:\n")
	writeNode(&b, "  ", "", sp.Root.Policies, sp.Root.OUs, sp.Root.Accounts, cm)
	if len(sp.Policies) > 0 {
		b.WriteString("\npolicies:\n")
		for _, p := range sp.Policies {
			if c := cm.Policies[p.Name]; c != "" {
				fmt.Fprintf(&b, "  # %s\n", comment(c))
			}
			fmt.Fprintf(&b, "  - name: %s\n", q(p.Name))
			if p.Type != "" {
				t := p.Type
				if _, known := ParseType(t); !known {
					t = q(t)
				}
				fmt.Fprintf(&b, "    type: %s\n", t)
			}
			if p.Description != "" {
				fmt.Fprintf(&b, "    description: %s\n", q(p.Description))
			}
			switch {
			case p.File != "":
				fmt.Fprintf(&b, "    file: %s\n", q(p.File))
			case p.Library != "":
				fmt.Fprintf(&b, "    library: %s\n", q(p.Library))
				if len(p.Params) > 0 {
					b.WriteString("    params:\n")
					keys := make([]string, 0, len(p.Params))
					for k := range p.Params {
						keys = append(keys, k)
					}
					sort.Strings(keys)
					vals, _ := ParamValues(p.Params)
					for _, k := range keys {
						fmt.Fprintf(&b, "      %s: %s\n", q(k), qList(vals[k]))
					}
				}
			default:
				fmt.Fprintf(&b, "    content: %s\n", q(p.Content))
			}
		}
	}
	return b.Bytes()
}

func writeNode(b *bytes.Buffer, ind, path string, policies []string, ous []OU, accounts []Account, cm Comments) {
	if policies != nil {
		fmt.Fprintf(b, "%spolicies: %s\n", ind, qList(policies))
	}
	if len(accounts) > 0 {
		fmt.Fprintf(b, "%saccounts:\n", ind)
		for _, a := range accounts {
			c := cm.Accounts[a.ID]
			if a.ID != "" {
				fmt.Fprintf(b, "%s  - id: %s", ind, q(a.ID))
				if c != "" {
					fmt.Fprintf(b, " # %s", comment(c))
				}
				b.WriteByte('\n')
			} else {
				fmt.Fprintf(b, "%s  - name: %s\n", ind, q(a.Name))
			}
			if a.ID != "" && a.Name != "" {
				fmt.Fprintf(b, "%s    name: %s\n", ind, q(a.Name))
			}
			if a.Email != "" {
				fmt.Fprintf(b, "%s    email: %s\n", ind, q(a.Email))
			}
			if a.Policies != nil {
				fmt.Fprintf(b, "%s    policies: %s\n", ind, qList(a.Policies))
			}
			if len(a.Tags) > 0 {
				fmt.Fprintf(b, "%s    tags:\n", ind)
				for _, k := range SortedKeys(a.Tags) {
					fmt.Fprintf(b, "%s      %s: %s\n", ind, q(k), q(a.Tags[k]))
				}
			}
		}
	}
	if len(ous) > 0 {
		fmt.Fprintf(b, "%sous:\n", ind)
		for _, ou := range ous {
			p := ou.Name
			if path != "" {
				p = path + "/" + ou.Name
			}
			if c := cm.OUs[p]; c != "" {
				fmt.Fprintf(b, "%s  # %s\n", ind, comment(c))
			}
			fmt.Fprintf(b, "%s  - name: %s\n", ind, q(ou.Name))
			writeNode(b, ind+"    ", p, ou.Policies, ou.OUs, ou.Accounts, cm)
		}
	}
}

// q quotes a string for YAML: a JSON string is a valid YAML double-quoted
// scalar.
func q(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

func qList(l []string) string {
	parts := make([]string, len(l))
	for i, s := range l {
		parts[i] = q(s)
	}
	return "[" + strings.Join(parts, ", ") + "]"
}

// comment makes a string safe as the rest of a YAML comment line.
func comment(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\uFEFF' {
			return ' '
		}
		return r
	}, s)
}
