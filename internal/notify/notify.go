// Package notify sends the daily summary where a team looks: a Slack
// incoming webhook, a Microsoft Teams (Workflows) or any JSON webhook, and
// an Amazon SNS topic. Messages are short: the headline, the counts, the
// top items and the command to see more. Webhook URLs are secrets: they are
// read from the environment or an SSM SecureString parameter at send time,
// kept in memory only, and never appear in a message, log or error.
package notify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sns"
	"github.com/aws/aws-sdk-go-v2/service/ssm"

	"github.com/seiri-dev/seiri/internal/config"
	"github.com/seiri-dev/seiri/internal/finding"
	"github.com/seiri-dev/seiri/internal/routine"
)

// SSM is the part of the SSM client notify uses.
type SSM interface {
	GetParameter(ctx context.Context, in *ssm.GetParameterInput, optFns ...func(*ssm.Options)) (*ssm.GetParameterOutput, error)
}

// SNS is the part of the SNS client notify uses.
type SNS interface {
	Publish(ctx context.Context, in *sns.PublishInput, optFns ...func(*sns.Options)) (*sns.PublishOutput, error)
}

// Clients are what sending needs; SSM and SNS are opened only when the
// configuration names them (nil functions: not available).
type Clients struct {
	HTTP *http.Client
	SSM  func(ctx context.Context) (SSM, error)
	SNS  func(ctx context.Context) (SNS, error)
}

// Should reports whether cfg asks for a message about s, and why.
func Should(cfg config.Notify, s *routine.Summary) (bool, string) {
	min, err := finding.ParseSeverity(cfg.MinSeverity)
	if err != nil {
		min = finding.High
	}
	troubled := len(s.Troubled()) > 0
	switch cfg.On {
	case config.NotifyAlways:
		return true, "notify.on: always"
	case config.NotifyOnSeverity:
		switch {
		case s.NewAtLeast(min) > 0:
			return true, fmt.Sprintf("new findings at or above %s", min)
		case len(s.NewAttention) > 0:
			return true, "watched keys or users newly need attention"
		case troubled:
			return true, "a step did not complete"
		}
		return false, fmt.Sprintf("nothing new at or above %s (notify.on: severity)", min)
	default:
		if s.Changed() || troubled {
			return true, "changed since the previous run"
		}
		return false, "nothing changed since the previous run (notify.on: change)"
	}
}

// Send sends the summary to every configured target when cfg asks for it,
// and reports what it sent and what it could not send. env reads the
// environment (os.Getenv in production).
func Send(ctx context.Context, cl Clients, cfg config.Notify, s *routine.Summary, env func(string) string) routine.StepReport {
	rep := routine.StepReport{Step: "notify"}
	if cfg.Slack == nil && cfg.Teams == nil && cfg.Webhook == nil && cfg.SNS == nil {
		rep.Status = routine.Skipped
		rep.Failf("no target in notify: (slack, teams, webhook, sns)")
		return rep
	}
	ok, why := Should(cfg, s)
	if !ok {
		rep.Status = routine.Skipped
		rep.Usef("not sent: %s", why)
		return rep
	}
	top := cfg.Top
	if top == 0 {
		top = 5
	}
	text := Message(s, top)
	if cl.HTTP == nil {
		cl.HTTP = &http.Client{Timeout: 20 * time.Second}
	}
	hooks := []struct {
		name string
		sec  *config.Secret
		body func(string) any
	}{
		{"slack", cfg.Slack, slackBody},
		{"teams", cfg.Teams, teamsBody},
		{"webhook", cfg.Webhook, func(t string) any { return webhookBody(t, s, top) }},
	}
	failed := 0
	for _, h := range hooks {
		if h.sec == nil {
			continue
		}
		from := secretSource(h.sec)
		u, err := resolve(ctx, cl, h.sec, env)
		if err == nil {
			err = post(ctx, cl.HTTP, u, h.body(text))
		}
		if err != nil {
			failed++
			rep.Failf("%s (URL from %s): %v", h.name, from, err)
			continue
		}
		rep.Usef("%s: sent (URL from %s)", h.name, from)
	}
	if cfg.SNS != nil {
		if err := publish(ctx, cl, cfg.SNS.TopicARN, s, text); err != nil {
			failed++
			rep.Failf("sns %s: %v", cfg.SNS.TopicARN, err)
		} else {
			rep.Usef("sns %s: published", cfg.SNS.TopicARN)
		}
	}
	rep.Usef("why: %s", why)
	if failed > 0 {
		rep.Status = routine.Partial
	} else {
		rep.Status = routine.OK
	}
	return rep
}

func secretSource(sec *config.Secret) string {
	if sec.Env != "" {
		return "environment variable " + sec.Env
	}
	return "SSM parameter " + sec.SSM
}

// resolve reads a webhook URL. The value is checked to be an https URL (or
// http on loopback, for tests and local relays) and never quoted back.
func resolve(ctx context.Context, cl Clients, sec *config.Secret, env func(string) string) (string, error) {
	var v string
	if sec.Env != "" {
		v = strings.TrimSpace(env(sec.Env))
		if v == "" {
			return "", fmt.Errorf("environment variable %s is empty or not set", sec.Env)
		}
	} else {
		if cl.SSM == nil {
			return "", errors.New("no SSM client")
		}
		c, err := cl.SSM(ctx)
		if err != nil {
			return "", fmt.Errorf("SSM: %v", err)
		}
		// GetParameter with WithDecryption returns a SecureString's
		// plaintext (AWS Systems Manager API Reference, GetParameter).
		out, err := c.GetParameter(ctx, &ssm.GetParameterInput{Name: aws.String(sec.SSM), WithDecryption: aws.Bool(true)})
		if err != nil {
			return "", fmt.Errorf("SSM GetParameter %s: %s", sec.SSM, awsErrorCode(err))
		}
		if out.Parameter == nil || out.Parameter.Value == nil {
			return "", fmt.Errorf("SSM parameter %s has no value", sec.SSM)
		}
		v = strings.TrimSpace(*out.Parameter.Value)
	}
	u, err := url.Parse(v)
	if err != nil || u.Host == "" {
		return "", errors.New("the value is not a URL (not shown: it is a secret)")
	}
	if u.Scheme != "https" && !(u.Scheme == "http" && isLoopback(u.Hostname())) {
		return "", fmt.Errorf("the URL is %s, want https (not shown: it is a secret)", u.Scheme)
	}
	return v, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}

// awsErrorCode keeps an SDK error's code and message without the request
// (no parameter value ever travels in it, but the code is what helps).
func awsErrorCode(err error) string {
	var ae interface {
		ErrorCode() string
		ErrorMessage() string
	}
	if errors.As(err, &ae) {
		return ae.ErrorCode() + ": " + ae.ErrorMessage()
	}
	return "request failed"
}

// post sends body as JSON. Errors never carry the URL: net/http's
// *url.Error would print it, so only its cause is kept.
func post(ctx context.Context, c *http.Client, u string, body any) error {
	b, err := json.Marshal(body)
	if err != nil {
		return err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(b))
	if err != nil {
		return errors.New("bad request URL (not shown: it is a secret)")
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := c.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			return fmt.Errorf("POST failed: %v", redact(ue.Err, u))
		}
		return fmt.Errorf("POST failed: %v", redact(err, u))
	}
	defer resp.Body.Close()
	msg, _ := io.ReadAll(io.LimitReader(resp.Body, 200))
	if resp.StatusCode/100 != 2 {
		return fmt.Errorf("HTTP %d: %s", resp.StatusCode, redact(errors.New(strings.TrimSpace(string(msg))), u))
	}
	return nil
}

// redact removes the URL and its path from an error text.
func redact(err error, u string) string {
	s := err.Error()
	s = strings.ReplaceAll(s, u, "<webhook URL>")
	if p, perr := url.Parse(u); perr == nil && len(p.Path) > 1 {
		s = strings.ReplaceAll(s, p.Path, "<path>")
	}
	return s
}

func publish(ctx context.Context, cl Clients, topic string, s *routine.Summary, text string) error {
	if cl.SNS == nil {
		return errors.New("no SNS client")
	}
	c, err := cl.SNS(ctx)
	if err != nil {
		return err
	}
	// An SNS subject is at most 100 characters (Amazon SNS API Reference,
	// Publish).
	subject := "seiri daily: " + s.Headline()
	if r := []rune(subject); len(r) > 100 {
		subject = string(r[:97]) + "..."
	}
	_, err = c.Publish(ctx, &sns.PublishInput{TopicArn: aws.String(topic), Subject: aws.String(subject), Message: aws.String(text)})
	if err != nil {
		return errors.New(awsErrorCode(err))
	}
	return nil
}
