package notify

import (
	"fmt"
	"strings"

	"github.com/seiri-dev/seiri/internal/routine"
)

// SeeMore is the command a message ends with.
const SeeMore = "seiri daily -o json (or seiri audit) for the full list"

// Message is the short text every target gets: the headline, then the top
// new findings, the items needing attention, what is now safe to delete and
// the writes of today, each list cut at top with a count of the rest.
func Message(s *routine.Summary, top int) string {
	var b strings.Builder
	fmt.Fprintf(&b, "seiri daily %s: %s\n", s.Date.Format("2006-01-02"), s.Headline())
	list := func(title string, items []string) {
		if len(items) == 0 {
			return
		}
		fmt.Fprintf(&b, "%s (%d):\n", title, len(items))
		for i, it := range items {
			if i == top {
				fmt.Fprintf(&b, "• … %d more\n", len(items)-top)
				break
			}
			fmt.Fprintf(&b, "• %s\n", it)
		}
	}
	var items []string
	for _, f := range s.New {
		items = append(items, fmt.Sprintf("%s %s [%s] %s", f.Severity, f.RuleID, f.Account, f.Title))
	}
	list("New", items)
	items = nil
	for _, w := range s.Attention {
		items = append(items, fmt.Sprintf("%s [%s] %s: %s", strings.ToUpper(w.Verdict), w.Account, name(w), w.Recommendation))
	}
	list("Needs attention", items)
	items = nil
	for _, w := range s.NowSafe {
		items = append(items, fmt.Sprintf("[%s] %s", w.Account, name(w)))
	}
	list("Now safe to delete", items)
	items = nil
	for _, c := range s.Changes {
		items = append(items, fmt.Sprintf("%s %s [%s] %s", c.Status, c.Action, c.Account, strings.TrimSpace(c.User+" "+c.AccessKeyID)))
	}
	list("Retirement", items)
	for _, r := range s.Steps {
		if r.Status == routine.Failed || r.Status == routine.Partial {
			why := ""
			if len(r.CouldNot) > 0 {
				why = ": " + r.CouldNot[0]
			}
			fmt.Fprintf(&b, "Step %s %s%s\n", r.Step, r.Status, why)
		}
	}
	b.WriteString("More: " + SeeMore)
	return b.String()
}

func name(w routine.Watched) string {
	if w.Kind == "user" {
		return "user " + w.User
	}
	return strings.TrimSpace(w.User + " " + w.AccessKeyID)
}

// slackBody is a Slack incoming-webhook payload: a text field with mrkdwn
// (Slack API docs, "Sending messages using incoming webhooks").
func slackBody(text string) any { return map[string]any{"text": text} }

// teamsBody is a Microsoft Teams Workflows webhook payload: a message with
// one Adaptive Card attachment (Microsoft Learn, "Create incoming webhooks
// with Workflows for Microsoft Teams").
func teamsBody(text string) any {
	var blocks []any
	for i, line := range strings.Split(text, "\n") {
		tb := map[string]any{"type": "TextBlock", "text": line, "wrap": true}
		if i == 0 {
			tb["weight"] = "Bolder"
		}
		blocks = append(blocks, tb)
	}
	return map[string]any{"type": "message", "attachments": []any{map[string]any{
		"contentType": "application/vnd.microsoft.card.adaptive",
		"content": map[string]any{"$schema": "http://adaptivecards.io/schemas/adaptive-card.json",
			"type": "AdaptiveCard", "version": "1.4", "body": blocks},
	}}}
}

// webhookBody is the generic JSON: the text plus the counts and top items
// for a receiver that routes on them.
func webhookBody(text string, s *routine.Summary, top int) any {
	cut := func(rs []routine.FindingRef) []routine.FindingRef {
		if len(rs) > top {
			return rs[:top]
		}
		return rs
	}
	return map[string]any{
		"text": text, "date": s.Date, "exitCode": s.ExitCode,
		"open": len(s.Open), "bySeverity": s.BySeverity,
		"new": len(s.New), "resolved": len(s.Resolved), "nowSafeToDelete": len(s.NowSafe), "attention": len(s.Attention),
		"topNew": cut(s.New), "incomplete": s.Troubled(), "seeMore": SeeMore,
	}
}
