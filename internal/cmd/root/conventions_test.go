package root

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/seiri-dev/seiri/internal/cmd/cmdutil"
)

// The command-line conventions of docs/cli.md, enforced over the whole
// command tree (issue 18 §3): one name per meaning, examples that parse, no
// "a | b | c" where "one of" is meant.

// flagMeanings is every flag name the tree may use, with its one meaning.
// A new flag either reuses a name here (same meaning) or adds a line here
// and in docs/cli.md's flag table.
var flagMeanings = map[string]string{
	// Global flags.
	"config":       "the seiri.yaml to read",
	"endpoint-url": "an AWS endpoint override",
	"external-id":  "the external id of the member-account role",
	"log-level":    "how much is logged on stderr",
	"max-attempts": "attempts per AWS call",
	"no-progress":  "no progress bars",
	"output":       "the report format (global only: --output/-o)",
	"profile":      "the AWS profile",
	"region":       "the AWS region of the session",
	"role-name":    "the role assumed in member accounts",
	"workspace":    "the workspace directory",

	// Shared conventions.
	"account":   "the account scope: only these account ids",
	"all":       "every account of the scope (the default, said explicitly)",
	"days":      "the usage window: the last N days, ending now",
	"since":     "absolute lower time bound of the records listed",
	"until":     "absolute upper time bound of the records listed",
	"snapshot":  "which snapshot to read",
	"out":       "the file (or folder) a generated artefact or report is written to",
	"format":    "the file format of a generated artefact",
	"long":      "everything instead of the terminal's short form",
	"apply":     "make the changes (without it: the plan only)",
	"yes":       "no confirmation prompt",
	"force":     "go on despite a refusal or an existing file",
	"reason":    "why, recorded in the journal",
	"fail-on":   "exit 1 at or above this severity",
	"parallel":  "how many units of work run at once",
	"regions":   "the region scope",
	"principal": "the principal scope: one user or role ARN",
	"limit":     "at most this many rows",
	"target":    "the OU or account a policy is attached to",
	"url":       "where downloaded reference data comes from",
	"spec":      "the org.yaml to read",

	// Command-specific flags.
	"access-key":            "one access key id",
	"account-id":            "the account the imported files describe",
	"account-name":          "the name of the account the imported files describe",
	"action":                "one IAM action or action pattern",
	"authorization-details": "the get-account-authorization-details file to import",
	"bucket":                "the trail's S3 bucket",
	"canary":                "the canary account of a staged rollout",
	"cases":                 "the policy-simulation cases file",
	"check":                 "compare with the expected decisions",
	"credential-report":     "the credential report file to import",
	"database":              "the Athena database",
	"engine":                "where CloudTrail logs are aggregated",
	"explain":               "add the reason of each decision",
	"force-lockout-risk":    "apply despite a lockout-risk refusal",
	"from":                  "the first day of the Athena partition projection",
	"include-never-used":    "also credentials never used at all",
	"keep":                  "services a suggested SCP must keep allowed",
	"list-rules":            "list the audit rules",
	"management-account":    "the organization's management account",
	"max-chars":             "the size limit of a generated policy",
	"monitoring-account":    "the account that monitors the others",
	"name":                  "the name of a generated policy",
	"near-limit":            "how close to an IAM quota counts as near",
	"no-access-advisor":     "skip Access Advisor",
	"no-resource-policies":  "skip resource policies",
	"no-trail":              "skip the demo's CloudTrail logs",
	"org":                   "collect the whole organization",
	"org-id":                "the organization id",
	"output-location":       "the S3 location of Athena query results",
	"param":                 "a parameter of a library SCP",
	"policy":                "the policy file to simulate",
	"prefix":                "the trail's S3 key prefix",
	"pretty":                "indent a rendered policy",
	"print":                 "print the DDL instead of running it",
	"proposed":              "plan over the groups plan applied",
	"remove-unused":         "also remove unused permissions",
	"repo":                  "a CI repository that uses a user's keys",
	"rule":                  "only these audit rules",
	"seed":                  "the demo's random seed",
	"source":                "where CloudTrail logs are read from",
	"staging-ou":            "the Policy Staging OU",
	"strict":                "stop at the first bad record",
	"relist":                "list every folder, even those unchanged since a scan read them whole",
	"table":                 "the Athena table",
	"template":              "the org.yaml template",
	"test-account":          "accounts moved into the staging OU",
	"threshold":             "the similarity at which groups merge",
	"timeout":               "the download timeout",
	"top":                   "rows per principal in the short form",
	"type":                  "the policy type",
	"user":                  "one IAM user name",
	"wait":                  "the time between rollout steps",
	"workgroup":             "the Athena workgroup",
	"detect":                "also judge the newly scanned records for suspicious use",
	"dry-run":               "plan every step, apply nothing (overrides seiri.yaml)",
	"import":                "a snapshot folder to import instead of collecting",
	"lock-wait":             "how long to wait for another runner's lock",
	"no-notify":             "send no notification",
	"rejudge":               "judge again log objects an earlier run judged",
	"org-plan":              "a saved org plan whose SCP impact is shown",
	"policies":              "how many principals get a generated least-privilege policy",
}

// forbiddenFlags are synonyms of a meaning that already has a name.
var forbiddenFlags = map[string]string{
	"accounts": "account", "account-ids": "account", "acct": "account",
	"window": "days", "lookback": "days", "unused-days": "days", "since-days": "days", "last": "days",
	"start": "since", "from-date": "since", "end": "until", "to": "until",
	"output-file": "out", "out-file": "out", "outfile": "out", "file": "out", "dest": "out",
	"fmt": "format", "output-format": "format", "file-format": "format", "out-format": "format", "emit": "format",
	"verbose": "long", "full": "long", "wide": "long", "details": "long", "all-rows": "long",
	"workers": "parallel", "concurrency": "parallel", "jobs": "parallel", "threads": "parallel",
	"confirm": "yes", "assume-yes": "yes", "non-interactive": "yes",
	"max": "limit", "max-rows": "limit",
}

// flagTypes are the value types a flag name may have (default: one type
// wherever it appears).
var flagTypes = map[string][]string{
	"account": {"string", "stringSlice"},
	"target":  {"string", "stringArray"},
}

func walkTree(t *testing.T, visit func(c *cobra.Command)) *cobra.Command {
	t.Helper()
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	root := NewRootCmd(f)
	var walk func(c *cobra.Command)
	walk = func(c *cobra.Command) {
		visit(c)
		for _, s := range c.Commands() {
			walk(s)
		}
	}
	walk(root)
	return root
}

// leaf reports whether c is a command that does work (not a group, not
// cobra's help).
func leaf(c *cobra.Command) bool {
	return c.Runnable() && !c.HasSubCommands() && c.Name() != "help" && c.Annotations[cmdutil.GroupAnnotation] == ""
}

func TestFlagNamesFollowTheConventions(t *testing.T) {
	types := map[string]map[string][]string{} // name -> type -> commands
	walkTree(t, func(c *cobra.Command) {
		path := c.CommandPath()
		flags := c.LocalNonPersistentFlags()
		if !c.HasParent() {
			flags = c.PersistentFlags()
		}
		flags.VisitAll(func(fl *pflag.Flag) {
			if use, ok := cmdutil.DeprecatedFlag(fl); ok {
				if !fl.Hidden {
					t.Errorf("%s: deprecated flag --%s must be hidden (cmdutil.AliasFlag or cmdutil.DeprecateFlag do it); its replacement is %s", path, fl.Name, use)
				}
				return
			}
			if canon, bad := forbiddenFlags[fl.Name]; bad {
				t.Errorf("%s: flag --%s means what --%s means everywhere else: rename it to --%s and keep --%s as a hidden alias (cmdutil.AliasFlag(fl, %q, %q)); see docs/cli.md", path, fl.Name, canon, canon, fl.Name, fl.Name, canon)
				return
			}
			if c.HasParent() && (fl.Name == "output" || fl.Shorthand == "o") {
				t.Errorf("%s: --output/-o is the global report format; name a file --out and a file format --format (docs/cli.md)", path)
			}
			if _, ok := flagMeanings[fl.Name]; !ok {
				t.Errorf("%s: flag --%s is not in the convention table: reuse the name that means the same (docs/cli.md lists them), or add %q with its meaning to flagMeanings in internal/cmd/root/conventions_test.go and to docs/cli.md", path, fl.Name, fl.Name)
			}
			if types[fl.Name] == nil {
				types[fl.Name] = map[string][]string{}
			}
			types[fl.Name][fl.Value.Type()] = append(types[fl.Name][fl.Value.Type()], path)
			if strings.Contains(fl.Usage, "|") {
				t.Errorf("%s: --%s help %q says \"a|b\": write \"one of: a, b\" (a | reads as a shell pipe)", path, fl.Name, fl.Usage)
			}
		})
	})
	for name, byType := range types {
		if len(byType) < 2 {
			continue
		}
		allowed := flagTypes[name]
		for typ, cmds := range byType {
			if !cmdutil.Contains(allowed, typ) {
				t.Errorf("flag --%s is a %s in %s but has other types elsewhere (%v): one name, one kind of value", name, typ, strings.Join(cmds, ", "), sortedKeys(byType))
			}
		}
	}
	// The table itself: one name per meaning.
	byMeaning := map[string]string{}
	for name, m := range flagMeanings {
		if other, dup := byMeaning[m]; dup {
			t.Errorf("flags --%s and --%s share the meaning %q: keep one", name, other, m)
		}
		byMeaning[m] = name
	}
	for bad, canon := range forbiddenFlags {
		if _, ok := flagMeanings[bad]; ok {
			t.Errorf("--%s is both allowed and a forbidden synonym of --%s", bad, canon)
		}
	}
}

func sortedKeys[V any](m map[string]V) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

// TestDocsListEveryFlag keeps docs/cli.md's flag table in step with the
// convention table.
func TestDocsListEveryFlag(t *testing.T) {
	doc, err := os.ReadFile(filepath.Join("..", "..", "..", "docs", "cli.md"))
	if err != nil {
		t.Fatal(err)
	}
	for name := range flagMeanings {
		if !strings.Contains(string(doc), "`--"+name+"`") {
			t.Errorf("docs/cli.md does not list `--%s` (%s)", name, flagMeanings[name])
		}
	}
}

func TestEveryCommandHasExamples(t *testing.T) {
	walkTree(t, func(c *cobra.Command) {
		if leaf(c) && strings.TrimSpace(c.Example) == "" {
			t.Errorf("%s has no examples: set Example on its cobra.Command (lines \"  seiri ...\" that run as written; docs/cli.md)", c.CommandPath())
		}
	})
}

// exampleLines are the command lines of an Example (or of a shell block):
// lines starting with "seiri ", cut at comments, pipes, redirects and &&.
func exampleLines(text string) [][]string {
	var out [][]string
	for _, line := range strings.Split(text, "\n") {
		line = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "$ "))
		for _, part := range strings.Split(line, "&&") {
			part = strings.TrimSpace(part)
			if !strings.HasPrefix(part, "seiri ") && part != "seiri" {
				continue
			}
			words := shellWords(part)
			out = append(out, words[1:])
		}
	}
	return out
}

// shellWords splits a command line like a POSIX shell would for the simple
// quoting examples use, stopping at a comment, pipe or redirect.
func shellWords(s string) []string {
	var words []string
	var cur strings.Builder
	in, quote, started := false, byte(0), false
	flush := func() {
		if started {
			words = append(words, cur.String())
		}
		cur.Reset()
		started = false
	}
	for i := 0; i < len(s); i++ {
		ch := s[i]
		switch {
		case quote != 0:
			if ch == quote {
				quote = 0
			} else {
				cur.WriteByte(ch)
			}
		case ch == '\'' || ch == '"':
			quote, started = ch, true
		case ch == ' ' || ch == '\t':
			flush()
		case (ch == '#' && !started) || ch == '|' || ch == '>' || ch == '<':
			flush()
			return words
		default:
			cur.WriteByte(ch)
			started = true
		}
	}
	_ = in
	flush()
	return words
}

// parseExample parses args with a fresh command tree: the command exists,
// its flags exist and take the values given, and the argument count fits.
func parseExample(args []string) error {
	f := cmdutil.NewFactory(&cmdutil.IOStreams{In: strings.NewReader(""), Out: &bytes.Buffer{}, ErrOut: &bytes.Buffer{}})
	root := NewRootCmd(f)
	c, rest, err := root.Find(args)
	if err != nil {
		return err
	}
	if c == root {
		return fmt.Errorf("no such command")
	}
	if err := c.ParseFlags(rest); err != nil {
		return err
	}
	if c.Args != nil {
		if err := c.Args(c, c.Flags().Args()); err != nil {
			return err
		}
	}
	return nil
}

func TestExamplesParse(t *testing.T) {
	walkTree(t, func(c *cobra.Command) {
		for _, args := range exampleLines(c.Example) {
			if err := parseExample(args); err != nil {
				t.Errorf("%s: example `seiri %s` does not parse: %v (fix the example or the command)", c.CommandPath(), strings.Join(args, " "), err)
			}
		}
	})
}

// oneOfPipe finds "a | b" or "a|b" on a seiri command line where no real
// pipe can be meant: the right side is another seiri command, or the bar
// sits inside a word (DIR|s3://…).
var (
	pipeToSeiri = regexp.MustCompile(`\|\s*seiri\b`)
	barInWord   = regexp.MustCompile(`[^\s|]\|[^\s|]`)
	barInGroup  = regexp.MustCompile(`[\[{(][^\]})]*\|[^\]})]*[\]})]`)
)

func oneOfProblems(text string) []string {
	var bad []string
	for _, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(line), "$ "))
		if !strings.HasPrefix(l, "seiri ") && !strings.Contains(l, " seiri ") {
			continue
		}
		if pipeToSeiri.MatchString(l) || barInWord.MatchString(stripQuoted(l)) || barInGroup.MatchString(stripQuoted(l)) || pipeToNonFilter(stripQuoted(l)) {
			bad = append(bad, l)
		}
	}
	return bad
}

// realPipeTargets are programs a seiri command's output is really piped to.
var realPipeTargets = map[string]bool{"jq": true, "grep": true, "less": true, "head": true, "tail": true, "sort": true,
	"wc": true, "tee": true, "base64": true, "xargs": true, "column": true, "sed": true, "awk": true, "gzip": true, "yq": true}

// pipeToNonFilter finds "seiri a | b" where b is no program a shell pipe
// would feed (a word like "quarantine": the line means "one of").
func pipeToNonFilter(l string) bool {
	parts := strings.Split(l, "|")
	for _, p := range parts[1:] {
		w := strings.Fields(p)
		if len(w) == 0 || !realPipeTargets[w[0]] {
			return true
		}
	}
	return false
}

// stripQuoted drops quoted parts ('a|b' is a literal value, not "one of").
func stripQuoted(s string) string {
	return regexp.MustCompile(`'[^']*'|"[^"]*"`).ReplaceAllString(s, "''")
}

func TestNoOneOfPipesInHelp(t *testing.T) {
	walkTree(t, func(c *cobra.Command) {
		var help bytes.Buffer
		c.SetOut(&help)
		c.SetErr(&help)
		if err := c.Help(); err != nil {
			t.Fatal(err)
		}
		for _, l := range oneOfProblems(help.String()) {
			t.Errorf("%s --help shows %q: \"a | b\" reads as a shell pipe; give one example line per choice, or write \"one of: a, b\" in prose (the Use line names a placeholder like SOURCE)", c.CommandPath(), l)
		}
	})
}

// shellBlocks returns the fenced shell blocks of a Markdown file.
func shellBlocks(md string) []string {
	var blocks []string
	var cur []string
	open, shell := false, false
	for _, line := range strings.Split(md, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") {
			if open {
				if shell {
					blocks = append(blocks, strings.Join(cur, "\n"))
				}
				cur, open = nil, false
			} else {
				lang := strings.TrimPrefix(t, "```")
				open, shell = true, lang == "" || lang == "sh" || lang == "bash" || lang == "shell" || lang == "console"
			}
			continue
		}
		if open && shell {
			cur = append(cur, line)
		}
	}
	return blocks
}

func TestNoOneOfPipesInDocs(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join("..", "..", "..", "docs", "*.md"))
	files = append(files, filepath.Join("..", "..", "..", "README.md"))
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			t.Fatal(err)
		}
		for _, block := range shellBlocks(string(b)) {
			for _, l := range oneOfProblems(block) {
				t.Errorf("%s: shell block shows %q: \"a | b\" reads as a pipe; write one line per choice (a comment may say \"one of\")", filepath.Base(file), l)
			}
		}
	}
}

func TestOneOfProblems(t *testing.T) {
	for text, want := range map[string]int{
		"seiri audit --output sarif | seiri audit --fail-on high": 1,
		"seiri trail scan --source DIR|s3://BUCKET":               1,
		"seiri audit -o json | jq .findings":                      0,
		"seiri catalog expand 's3:Get*|x'":                        0,
		"Next: seiri audit --fail-on high":                        0,
		"Next: seiri audit -o sarif | seiri audit":                1,
		"echo a|b": 0,
	} {
		if got := len(oneOfProblems(text)); got != want {
			t.Errorf("oneOfProblems(%q) = %d, want %d", text, got, want)
		}
	}
}

// TestReadmeCommandsParse: every seiri command line in the README's shell
// blocks runs as written (flags exist, arguments fit).
func TestReadmeCommandsParse(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, block := range shellBlocks(string(b)) {
		for _, line := range strings.Split(block, "\n") {
			for _, part := range strings.Split(line, ";") {
				for _, args := range exampleLines(part) {
					if err := parseExample(args); err != nil {
						t.Errorf("README.md: `seiri %s` does not parse: %v (the README shows real invocations)", strings.Join(args, " "), err)
					}
				}
			}
		}
	}
}
