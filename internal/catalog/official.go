package catalog

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"
)

// AWS's official service reference: a service list of {service, url} and one
// JSON document per service (Service Authorization Reference, "Simplified AWS
// service information for programmatic access",
// https://docs.aws.amazon.com/service-authorization/latest/reference/service-reference.html).

// ServiceReferenceURL is the service list `seiri catalog update` reads.
const ServiceReferenceURL = "https://servicereference.us-east-1.amazonaws.com/"

// ServiceListEntry is one entry of the service list.
type ServiceListEntry struct {
	Service string `json:"service"`
	URL     string `json:"url"`
}

// ServiceReference is one service's document, with the fields seiri uses.
type ServiceReference struct {
	Name    string `json:"Name"` // the service prefix, e.g. "s3"
	Version string `json:"Version,omitempty"`
	Actions []struct {
		Name                string   `json:"Name"`
		ActionConditionKeys []string `json:"ActionConditionKeys"`
		Annotations         struct {
			Properties struct {
				IsList                 bool `json:"IsList"`
				IsPermissionManagement bool `json:"IsPermissionManagement"`
				IsTaggingOnly          bool `json:"IsTaggingOnly"`
				IsWrite                bool `json:"IsWrite"`
			} `json:"Properties"`
		} `json:"Annotations"`
		Resources []struct {
			Name string `json:"Name"`
		} `json:"Resources"`
	} `json:"Actions"`
	Resources []struct {
		Name          string   `json:"Name"`
		ARNFormats    []string `json:"ARNFormats"`
		ConditionKeys []string `json:"ConditionKeys"`
	} `json:"Resources"`
	ConditionKeys []struct {
		Name  string   `json:"Name"`
		Types []string `json:"Types"`
	} `json:"ConditionKeys"`
	// Operations maps each API operation to the actions it authorizes
	// ("Service reference information also provides metadata about
	// operations, including authorized actions ... Services that don't
	// yet support this mapping omit the AuthorizedAction property").
	Operations []struct {
		Name              string             `json:"Name"`
		AuthorizedActions []AuthorizedAction `json:"AuthorizedActions"`
	} `json:"Operations"`
}

// AuthorizedAction is an action an API operation authorizes.
type AuthorizedAction struct {
	Name    string `json:"Name"`
	Service string `json:"Service"` // the service prefix
}

// ParseServiceList reads the service list. Entries without a service or URL
// are errors naming the entry's index.
func ParseServiceList(data []byte) ([]ServiceListEntry, error) {
	var list []ServiceListEntry
	if err := strictUnmarshal(data, &list); err != nil {
		return nil, fmt.Errorf("service list: %w", err)
	}
	seen := make(map[string]bool, len(list))
	for i, e := range list {
		if e.Service == "" || e.URL == "" {
			return nil, fmt.Errorf("service list: entry %d (%q): missing service or url", i, trim(e.Service))
		}
		k := strings.ToLower(e.Service)
		if seen[k] {
			return nil, fmt.Errorf("service list: entry %d: service %q listed twice", i, trim(e.Service))
		}
		seen[k] = true
	}
	return list, nil
}

// ParseServiceReference reads one service document and converts it into a
// Service. Errors name the action or resource by index and name.
//
// The official format does not say which resource types are required, nor
// the service's long name, RCP support or action descriptions; base (usually the embedded
// catalog, may be nil) supplies those for actions and resource types it also
// knows. Resource types AWS lists on an action but does not declare are kept
// without ARN formats.
func ParseServiceReference(data []byte, base *Catalog) (*Service, error) {
	var ref ServiceReference
	if err := strictUnmarshal(data, &ref); err != nil {
		return nil, err
	}
	if ref.Name == "" {
		return nil, errors.New("missing Name (the service prefix)")
	}
	if strings.ContainsAny(ref.Name, ":*? \t\n") {
		return nil, fmt.Errorf("service name %q is not a service prefix", trim(ref.Name))
	}
	s := &Service{Prefix: ref.Name, Name: ref.Name}
	var old *Service
	if base != nil {
		if o, ok := base.Service(ref.Name); ok {
			old = o
			s.Name = o.Name
			s.SupportsRCP = o.SupportsRCP
		}
	}
	byName := make(map[string]*ResourceType, len(ref.Resources))
	for i, r := range ref.Resources {
		if r.Name == "" {
			return nil, fmt.Errorf("Resources[%d]: missing Name", i)
		}
		if _, dup := byName[r.Name]; dup {
			continue
		}
		rt := &ResourceType{Name: r.Name, ARNFormats: r.ARNFormats, ConditionKeys: r.ConditionKeys}
		s.ResourceTypes = append(s.ResourceTypes, rt)
		byName[r.Name] = rt
	}
	for i, k := range ref.ConditionKeys {
		if k.Name == "" {
			return nil, fmt.Errorf("ConditionKeys[%d]: missing Name", i)
		}
		s.ConditionKeys = append(s.ConditionKeys, ConditionKey{Name: k.Name, Type: strings.Join(k.Types, ",")})
	}
	for i, ra := range ref.Actions {
		if ra.Name == "" || strings.ContainsAny(ra.Name, ":*? \t\n") {
			return nil, fmt.Errorf("Actions[%d]: action name %q is not valid", i, trim(ra.Name))
		}
		p := ra.Annotations.Properties
		a := &Action{Name: ra.Name, ConditionKeys: ra.ActionConditionKeys}
		// The reference sets IsWrite together with the narrower flags, so
		// the narrower ones decide first; no flag at all means Read.
		switch {
		case p.IsPermissionManagement:
			a.Access = PermissionsManagement
		case p.IsTaggingOnly:
			a.Access = Tagging
		case p.IsWrite:
			a.Access = Write
		case p.IsList:
			a.Access = List
		default:
			a.Access = Read
		}
		var prev *Action
		if old != nil {
			prev, _ = base.Action(ref.Name + ":" + ra.Name)
		}
		if prev != nil {
			a.Description = prev.Description
			a.Dependent = prev.Dependent
		}
		for j, r := range ra.Resources {
			if r.Name == "" {
				return nil, fmt.Errorf("Actions[%d] (%s): Resources[%d]: missing Name", i, trim(ra.Name), j)
			}
			rt, ok := byName[r.Name]
			if !ok {
				rt = &ResourceType{Name: r.Name}
				s.ResourceTypes = append(s.ResourceTypes, rt)
				byName[r.Name] = rt
			}
			ar := ActionResource{Type: rt}
			if prev != nil {
				for _, pr := range prev.Resources {
					if pr.Type.Name == r.Name {
						ar.Required = pr.Required
						ar.ConditionKeys = pr.ConditionKeys
					}
				}
			}
			a.Resources = append(a.Resources, ar)
		}
		s.Actions = append(s.Actions, a)
	}
	if err := operationDependents(&ref, s); err != nil {
		return nil, err
	}
	return s, nil
}

// operationDependents reads the operations table: an operation named like
// one of the service's actions that also authorizes other actions
// (lambda CreateFunction → lambda:CreateFunction, iam:PassRole) makes those
// dependent actions of that action (Action.Dependent), as the reference's
// "Dependent actions" column would. An operation whose name is no action
// (S3 CopyObject authorizes s3:GetObject and s3:PutObject) is left to the
// event mapping. Entries without a name or service are errors naming the
// operation.
func operationDependents(ref *ServiceReference, s *Service) error {
	byName := make(map[string]*Action, len(s.Actions))
	for _, a := range s.Actions {
		byName[strings.ToLower(a.Name)] = a
	}
	for i, op := range ref.Operations {
		if op.Name == "" {
			return fmt.Errorf("Operations[%d]: missing Name", i)
		}
		for j, aa := range op.AuthorizedActions {
			if aa.Name == "" || aa.Service == "" || strings.ContainsAny(aa.Service+aa.Name, ":*? ") {
				return fmt.Errorf("Operations[%d] (%s): AuthorizedActions[%d]: missing or malformed Name or Service (%q, %q)", i, trim(op.Name), j, trim(aa.Service), trim(aa.Name))
			}
		}
		a, ok := byName[strings.ToLower(op.Name)]
		primary := func(aa AuthorizedAction) bool {
			return strings.EqualFold(aa.Service, ref.Name) && strings.EqualFold(aa.Name, op.Name)
		}
		if !ok || !slices.ContainsFunc(op.AuthorizedActions, primary) {
			continue
		}
		for _, aa := range op.AuthorizedActions {
			if primary(aa) {
				continue
			}
			n := aa.Service + ":" + aa.Name
			if !slices.ContainsFunc(a.Dependent, func(d string) bool { return strings.EqualFold(d, n) }) {
				a.Dependent = append(slices.Clip(a.Dependent), n) // never into the base catalog's array
			}
		}
	}
	return nil
}

// strictUnmarshal decodes JSON and turns syntax and type errors into ones
// that name the line and column.
func strictUnmarshal(data []byte, v any) error {
	err := json.Unmarshal(data, v)
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := lineCol(data, se.Offset)
		return fmt.Errorf("line %d, column %d: %v", line, col, se)
	case errors.As(err, &te):
		line, col := lineCol(data, te.Offset)
		return fmt.Errorf("line %d, column %d: %s: got JSON %s, want %s", line, col, te.Field, te.Value, te.Type)
	}
	return err
}

func lineCol(data []byte, off int64) (int, int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	if off < 0 {
		off = 0
	}
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return line, col
}

// FetchOptions tune Fetch.
type FetchOptions struct {
	// Client does the HTTP requests (default: a client with a 60 s timeout).
	Client *http.Client
	// Base supplies what the official format lacks (see
	// ParseServiceReference); usually Embedded().
	Base *Catalog
	// Now dates the fetched catalog's Source.
	Now time.Time
	// Parallel is the number of concurrent downloads (default 8).
	Parallel int
	// Progress, if set, is called after each service document.
	Progress func(done, total int)
}

// maxDocument bounds one downloaded document (the largest service, ec2, is
// a few MiB).
const maxDocument = 64 << 20

// Fetch downloads the service list at listURL and every service document it
// names, and builds a catalog from them. It fails as a whole if any document
// fails: a partial catalog would silently miss services.
func Fetch(ctx context.Context, listURL string, opt FetchOptions) (*Catalog, error) {
	if opt.Client == nil {
		opt.Client = &http.Client{Timeout: 60 * time.Second}
	}
	if opt.Parallel <= 0 {
		opt.Parallel = 8
	}
	base, err := url.Parse(listURL)
	if err != nil || (base.Scheme != "http" && base.Scheme != "https") {
		return nil, fmt.Errorf("service list URL %q: want an http(s) URL", trim(listURL))
	}
	body, err := get(ctx, opt.Client, listURL)
	if err != nil {
		return nil, err
	}
	list, err := ParseServiceList(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", listURL, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s: service list is empty", listURL)
	}
	// Resolve every URL first (relative ones against the list's), so a bad
	// entry fails before any download starts.
	urls := make([]string, len(list))
	for i, e := range list {
		u, err := base.Parse(e.URL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") {
			return nil, fmt.Errorf("%s: service %q: url %q: want an http(s) URL", listURL, trim(e.Service), trim(e.URL))
		}
		urls[i] = u.String()
	}
	services := make([]*Service, len(list))
	errs := make([]error, len(list))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		done int
		sem  = make(chan struct{}, opt.Parallel)
	)
	for i, e := range list {
		u := urls[i]
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case sem <- struct{}{}:
				defer func() { <-sem }()
			case <-ctx.Done():
				errs[i] = ctx.Err()
				return
			}
			b, err := get(ctx, opt.Client, u)
			if err == nil {
				var s *Service
				s, err = ParseServiceReference(b, opt.Base)
				if err != nil {
					err = fmt.Errorf("%s: %w", u, err)
				} else if !strings.EqualFold(s.Prefix, e.Service) {
					err = fmt.Errorf("%s: document is for service %q, the list says %q", u, trim(s.Prefix), trim(e.Service))
				}
				services[i] = s
			}
			if err != nil {
				errs[i] = err
				cancel()
				return
			}
			if opt.Progress != nil {
				mu.Lock()
				done++
				opt.Progress(done, len(list))
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	// Report the first real failure, not the cancellations it caused.
	var first error
	for _, err := range errs {
		if err != nil && !errors.Is(err, context.Canceled) {
			first = err
			break
		}
		if err != nil && first == nil {
			first = err
		}
	}
	if first != nil {
		return nil, first
	}
	services = slices.DeleteFunc(services, func(s *Service) bool { return s == nil })
	date := opt.Now
	if date.IsZero() {
		date = time.Now()
	}
	src := Source{Name: "AWS service reference", Version: listURL, Date: date.UTC().Format("2006-01-02")}
	var globals []ConditionKey
	if opt.Base != nil {
		// The service documents do not carry the global keys.
		globals = opt.Base.GlobalConditionKeys()
	}
	return New(src, services, globals...), nil
}

func get(ctx context.Context, client *http.Client, u string) ([]byte, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	req.Header.Set("Accept", "application/json")
	resp, err := client.Do(req)
	if err != nil {
		return nil, err // a *url.Error: it names the method and URL
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("GET %s: %s", u, resp.Status)
	}
	b, err := io.ReadAll(io.LimitReader(resp.Body, maxDocument+1))
	if err != nil {
		return nil, fmt.Errorf("GET %s: %w", u, err)
	}
	if len(b) > maxDocument {
		return nil, fmt.Errorf("GET %s: larger than %d bytes", u, maxDocument)
	}
	return b, nil
}
