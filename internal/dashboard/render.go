package dashboard

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"html/template"
	"io"
	"sync"

	"github.com/seiri-dev/seiri/internal/org"
)

var (
	//go:embed assets/page.html.tmpl
	pageSource string
	//go:embed assets/style.css
	styleSource string
	//go:embed assets/app.js
	scriptSource string

	// The template and the CSP are made when a dashboard is first
	// rendered, not when any seiri command starts.
	pageTmpl = sync.OnceValue(func() *template.Template { return template.Must(template.New("page").Parse(pageSource)) })
	// CSP allows exactly the page's own inline style and script (by hash),
	// no other source at all: nothing is fetched, nothing injected runs.
	csp = sync.OnceValue(func() string {
		return "default-src 'none'; script-src '" + hashOf(scriptSource) + "'; style-src '" + hashOf(styleSource) +
			"'; img-src data:; base-uri 'none'; form-action 'none'"
	})
)

func hashOf(s string) string {
	h := sha256.Sum256([]byte(s))
	return "sha256-" + base64.StdEncoding.EncodeToString(h[:])
}

type view struct {
	P      *page
	CSP    template.HTMLAttr
	Style  template.CSS
	Script template.JS
	Data   template.JS
	// Encoding marks a compressed data block.
	Encoding template.HTMLAttr
	known    map[string]bool
}

type treeNode struct {
	N     *org.ReportNode
	Known map[string]bool
}

// With is the same tree context on a child node.
func (t treeNode) With(n *org.ReportNode) treeNode { return treeNode{N: n, Known: t.Known} }

// Node starts the organization tree at n; Known tells which accounts have a
// page.
func (v view) Node(n *org.ReportNode) treeNode { return treeNode{N: n, Known: v.known} }

// Render writes the report of in to w.
func Render(w io.Writer, in Input) error {
	p, err := build(in)
	if err != nil {
		return err
	}
	known := map[string]bool{}
	for id, e := range p.Data.Entities {
		if e.Kind == "account" {
			known[id[len("a-"):]] = true
		}
	}
	// The data block is JSON with <, > and & escaped (encoding/json's
	// default): no string in it can close the script element.
	for _, t := range p.Data.Tables {
		if t.Rows == nil {
			t.Rows = [][]any{}
		}
	}
	for _, e := range p.Data.Entities {
		if e.Facts == nil {
			e.Facts = [][]any{}
		}
	}
	p.Data.pack()
	js, err := json.Marshal(p.Data)
	if err != nil {
		return err
	}
	limit := in.CompressOver
	if limit == 0 {
		limit = DefaultCompressOver
	}
	enc := template.HTMLAttr("")
	if limit > 0 && len(js) > limit {
		var z bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&z, gzip.BestSpeed)
		if _, err := zw.Write(js); err != nil {
			return err
		}
		if err := zw.Close(); err != nil {
			return err
		}
		js = []byte(base64.StdEncoding.EncodeToString(z.Bytes()))
		enc = ` data-encoding="gzip-base64"`
	}
	bw := bufio.NewWriterSize(w, 1<<16)
	if err := pageTmpl().Execute(bw, view{P: p, Data: template.JS(js), Encoding: enc, CSP: template.HTMLAttr(`content="` + csp() + `"`), Style: template.CSS(styleSource), Script: template.JS(scriptSource), known: known}); err != nil {
		return err
	}
	return bw.Flush()
}
