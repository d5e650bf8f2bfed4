"use strict";
// seiri report: pages, sorts and filters the tables of the JSON data block,
// and draws the page of an account, principal or key when its anchor is
// opened. Every value is inserted as text (textContent), never as markup.
(function () {
  var block = document.getElementById("seiri-data");
  var data;
  var PAGE = 50;
  var SEV = { critical: 5, high: 4, medium: 3, low: 2, info: 1 };
  var printing = false;
  var widgets = [];

  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function isLink(v) { return v !== null && typeof v === "object" && "e" in v; }
  function text(v) {
    if (v === null || v === undefined) return "";
    if (isLink(v)) return data.entities[v.e] ? data.entities[v.e].n : v.e;
    if (typeof v === "object" && "d" in v) return data.docs[v.d];
    return String(v);
  }
  function anchor(v) {
    var a = el("a", null, text(v));
    a.href = "#" + v.e;
    return a;
  }
  function cell(v, col) {
    var td = el("td", col.t || "");
    if (isLink(v)) {
      td.appendChild(anchor(v));
    } else if (col.t === "sev") {
      td.appendChild(el("span", "sev sev-" + text(v), v));
    } else {
      td.textContent = text(v);
    }
    return td;
  }
  // haystack is a row's text for the search, computed once per row.
  var hay = new WeakMap();
  function haystack(r) {
    var h = hay.get(r);
    if (h === undefined) {
      h = r.map(text).join("\u0001").toLowerCase();
      hay.set(r, h);
    }
    return h;
  }
  function compare(a, b, col) {
    if (col.t === "sev") return (SEV[text(a)] || 0) - (SEV[text(b)] || 0);
    if (typeof a === "number" && typeof b === "number") return a - b;
    if (typeof a === "number") return 1;
    if (typeof b === "number") return -1;
    var x = text(a), y = text(b);
    return x < y ? -1 : x > y ? 1 : 0;
  }

  // widget draws one table: caption, search box, per-column filters,
  // sortable headings, pager.
  function widget(host, table, rows, uid) {
    var st = { q: "", enums: {}, sort: -1, dir: 1, page: 0 };
    host.textContent = "";
    var ctl = el("div", "controls");
    ctl.appendChild(el("span", "cap", table.caption));
    var count = el("span", "note");
    ctl.appendChild(count);
    var sid = uid + "-q";
    var lab = el("label", null, "Search ");
    lab.htmlFor = sid;
    var q = el("input");
    q.type = "search";
    q.id = sid;
    q.setAttribute("aria-controls", uid + "-tb");
    lab.appendChild(q);
    ctl.appendChild(lab);
    table.cols.forEach(function (c, i) {
      if (!c.f) return;
      var vals = {};
      rows.forEach(function (r) { vals[text(r[i])] = true; });
      var keys = Object.keys(vals).sort();
      if (keys.length < 2) return;
      var l = el("label", null, c.n + " ");
      var s = el("select");
      s.setAttribute("data-col", String(i));
      s.appendChild(el("option", null, "(all)")).value = "";
      keys.forEach(function (k) { var o = el("option", null, k === "" ? "(empty)" : k); o.value = k; s.appendChild(o); });
      s.addEventListener("change", function () { if (s.selectedIndex === 0) delete st.enums[i]; else st.enums[i] = s.value; st.page = 0; draw(); });
      l.appendChild(s);
      ctl.appendChild(l);
    });
    host.appendChild(ctl);
    var wrap = el("div", "scroll");
    var t = el("table");
    t.id = uid + "-tb";
    var thead = el("thead"), hr = el("tr");
    var ths = table.cols.map(function (c, i) {
      var th = el("th");
      th.scope = "col";
      var b = el("button", null, c.n);
      b.type = "button";
      b.addEventListener("click", function () {
        if (st.sort === i) st.dir = -st.dir; else { st.sort = i; st.dir = (c.t === "num" || c.t === "sev") ? -1 : 1; }
        draw();
      });
      th.appendChild(b);
      hr.appendChild(th);
      return th;
    });
    thead.appendChild(hr);
    t.appendChild(thead);
    var tb = el("tbody");
    t.appendChild(tb);
    wrap.appendChild(t);
    host.appendChild(wrap);
    var pager = el("div", "pager");
    var prev = el("button", null, "Previous");
    prev.type = "button";
    var info = el("span");
    var next = el("button", null, "Next");
    next.type = "button";
    var all = el("button", null, "Show all");
    all.type = "button";
    pager.appendChild(prev); pager.appendChild(info); pager.appendChild(next); pager.appendChild(all);
    host.appendChild(pager);
    if (table.note) host.appendChild(el("p", "note", table.note));
    var size = PAGE;
    prev.addEventListener("click", function () { st.page--; draw(); });
    next.addEventListener("click", function () { st.page++; draw(); });
    all.addEventListener("click", function () { size = size === Infinity ? PAGE : Infinity; st.page = 0; all.textContent = size === Infinity ? "Show pages" : "Show all"; draw(); });
    var timer = 0;
    q.addEventListener("input", function () {
      var apply = function () { st.q = q.value.toLowerCase(); st.page = 0; draw(); };
      clearTimeout(timer);
      if (rows.length > 5000) timer = setTimeout(apply, 150); else apply();
    });

    function draw() {
      var vis = rows.filter(function (r) {
        for (var k in st.enums) if (text(r[k]) !== st.enums[k]) return false;
        if (!st.q) return true;
        return haystack(r).indexOf(st.q) >= 0;
      });
      if (st.sort >= 0) {
        var c = table.cols[st.sort];
        vis = vis.map(function (r, i) { return [r, i]; });
        vis.sort(function (a, b) { return st.dir * compare(a[0][st.sort], b[0][st.sort], c) || a[1] - b[1]; });
        vis = vis.map(function (p) { return p[0]; });
      }
      ths.forEach(function (th, i) { if (i === st.sort) th.setAttribute("aria-sort", st.dir > 0 ? "ascending" : "descending"); else th.removeAttribute("aria-sort"); });
      var n = printing ? Infinity : size;
      var pages = Math.max(1, Math.ceil(vis.length / n));
      st.page = Math.min(Math.max(st.page, 0), pages - 1);
      var from = n === Infinity ? 0 : st.page * n;
      var to = Math.min(vis.length, from + n);
      tb.textContent = "";
      for (var i = from; i < to; i++) {
        var tr = el("tr");
        for (var j = 0; j < table.cols.length; j++) tr.appendChild(cell(vis[i][j], table.cols[j]));
        tb.appendChild(tr);
      }
      if (vis.length === 0) {
        var td = el("td", "note", rows.length === 0 ? "No rows." : "No row matches the filter.");
        td.colSpan = table.cols.length;
        tb.appendChild(el("tr")).appendChild(td);
      }
      count.textContent = vis.length === rows.length ? rows.length + " rows" : vis.length + " of " + rows.length + " rows";
      info.textContent = vis.length ? "rows " + (from + 1) + "–" + to + " of " + vis.length : "";
      prev.disabled = st.page === 0;
      next.disabled = st.page >= pages - 1;
      pager.hidden = rows.length <= PAGE;
    }
    draw();
    return draw;
  }

  function start() {
  // The index of every principal and key, from the entities themselves.
  var index = { id: "t-entities", caption: "Principals and access keys", cols: [{ n: "Name" }, { n: "Kind", f: true }, { n: "Account", t: "id", f: true }], rows: [] };
  Object.keys(data.entities).sort().forEach(function (id) {
    var e = data.entities[id];
    if (e.k === "account") return;
    index.rows.push([{ e: id }, e.k, data.entities["a-" + e.a] ? { e: "a-" + e.a } : e.a]);
  });
  var keyOf = function (r) { return data.entities[r[0].e].a + "\u0000" + data.entities[r[0].e].n; };
  index.rows = index.rows.map(function (r) { return [keyOf(r), r]; }).sort(function (x, y) { return x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0; }).map(function (p) { return p[1]; });
  data.tables["t-entities"] = index;
  performance.mark("seiri-index");

  var hosts = document.querySelectorAll("div.tbl[data-table]");
  for (var i = 0; i < hosts.length; i++) {
    var id = hosts[i].getAttribute("data-table");
    var t = data.tables[id];
    if (t) widgets.push(widget(hosts[i], t, t.rows, id));
    else hosts[i].appendChild(el("p", "absent", "table " + id + " missing from the data"));
  }

  // The page of one entity: its facts, then every row of every table that
  // links to it.
  var view = document.getElementById("entity-view");
  // refs indexes, once, the rows of every table by the entities they name.
  var byEntity = null;
  function refs() {
    if (byEntity) return byEntity;
    byEntity = {};
    Object.keys(data.tables).forEach(function (tid) {
      if (tid === "t-entities") return;
      data.tables[tid].rows.forEach(function (r) {
        var done = {};
        r.forEach(function (v) {
          if (!isLink(v) || done[v.e]) return;
          done[v.e] = true;
          var m = byEntity[v.e] || (byEntity[v.e] = {});
          (m[tid] || (m[tid] = [])).push(r);
        });
      });
    });
    return byEntity;
  }
  function showEntity(id) {
    var e = data.entities[id];
    if (!e) { view.hidden = true; view.textContent = ""; return false; }
    view.textContent = "";
    var art = el("article");
    art.id = id;
    art.tabIndex = -1;
    var h = el("h2", null, e.k + " " + e.n + (e.a ? " in account " + e.a : ""));
    art.appendChild(h);
    var dl = el("dl", "facts");
    e.f.forEach(function (f) {
      dl.appendChild(el("dt", null, typeof f[0] === "number" ? data.labels[f[0]] : f[0]));
      var dd = el("dd");
      if (isLink(f[1])) dd.appendChild(anchor(f[1])); else dd.textContent = text(f[1]);
      dl.appendChild(dd);
    });
    art.appendChild(dl);
    var found = 0;
    var mine = refs()[id] || {};
    Object.keys(mine).sort().forEach(function (tid) {
      var t = data.tables[tid];
      var rows = mine[tid];
      found++;
      var host = el("div", "tbl");
      art.appendChild(host);
      widget(host, t, rows, id + "-" + tid);
    });
    if (!found) art.appendChild(el("p", "note", "No table of this report names it."));
    var back = el("p");
    var a = el("a", null, "Back to the overview");
    a.href = "#overview";
    back.appendChild(a);
    art.appendChild(back);
    view.appendChild(art);
    view.hidden = false;
    return true;
  }
  function route() {
    var id = decodeURIComponent(location.hash.slice(1));
    if (!id || !data.entities[id]) {
      view.hidden = true;
      view.textContent = "";
    } else {
      showEntity(id);
      var a = document.getElementById(id);
      a.scrollIntoView();
      a.focus();
    }
  }
  window.addEventListener("hashchange", route);
  route();
  window.addEventListener("beforeprint", function () { printing = true; widgets.forEach(function (d) { d(); }); });
  window.addEventListener("afterprint", function () { printing = false; widgets.forEach(function (d) { d(); }); });
  performance.mark("seiri-ready");
  document.body.setAttribute("data-ready", "true");
  }

  // A large organization's data is gzip-compressed (base64): inflate it
  // in the browser, without any network access.
  if (block.getAttribute("data-encoding") === "gzip-base64") {
    var b64 = block.textContent.trim(), bytes;
    if (Uint8Array.fromBase64) {
      bytes = Uint8Array.fromBase64(b64);
    } else {
      var bin = atob(b64);
      bytes = new Uint8Array(bin.length);
      for (var k = 0; k < bin.length; k++) bytes[k] = bin.charCodeAt(k);
    }
    performance.mark("seiri-bytes");
    new Response(new Blob([bytes]).stream().pipeThrough(new DecompressionStream("gzip"))).text().then(function (t) {
      performance.mark("seiri-inflated");
      data = JSON.parse(t);
      performance.mark("seiri-data");
      start();
    });
  } else {
    data = JSON.parse(block.textContent);
    performance.mark("seiri-data");
    start();
  }
})();
