"""The CSS and the small vanilla JS shared by podreplay's HTML pages.

The JS draws each figure from its JSON block (eagerly, or when scrolled into view or linked to),
follows clicks on cluster rows to pod timelines, and runs the time slider. It builds text with
textContent only, never innerHTML, so nothing from the cluster is ever parsed as markup.
"""

CSS = """
:root { --fg:#1f2933; --muted:#6b7785; --line:#e3e7ec; --bg:#f7f9fb; --accent:#2f6fb0; }
* { box-sizing: border-box; }
body { margin:0; font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;
  color:var(--fg); background:var(--bg); }
header { background:#1f2d3d; color:#fff; padding:14px 28px 10px; }
header h1 { margin:0; font-size:20px; font-weight:600; }
header .scope { margin:2px 0 8px; color:#c9d3de; font-size:13px; }
nav a { color:#cfe3ff; margin-right:18px; text-decoration:none; font-size:13px; }
nav a:hover { text-decoration:underline; }
main { max-width:1320px; margin:0 auto; padding:8px 24px 60px; }
section, article.pod { background:#fff; border:1px solid var(--line); border-radius:8px;
  padding:14px 18px; margin:18px 0; }
h2 { font-size:17px; margin:0 0 10px; }
h3 { font-size:14px; margin:10px 0 6px; }
a { color:var(--accent); }
.cards { display:flex; gap:12px; flex-wrap:wrap; margin-bottom:8px; }
.card { flex:1 1 200px; border:1px solid var(--line); border-radius:6px; padding:10px 14px; }
.card .k { color:var(--muted); font-size:12px; text-transform:uppercase; letter-spacing:.04em; }
.card .v { font-size:22px; font-weight:600; }
.card .s { color:var(--muted); font-size:12px; }
.grid2 { display:grid; grid-template-columns:repeat(auto-fit,minmax(520px,1fr)); gap:8px 24px; }
.grid3 { display:grid; grid-template-columns:repeat(auto-fit,minmax(340px,1fr)); gap:8px 20px; }
table { border-collapse:collapse; width:100%; font-size:13px; }
th { text-align:left; color:var(--muted); font-weight:600; border-bottom:2px solid var(--line);
  padding:4px 8px; }
td { border-bottom:1px solid var(--line); padding:4px 8px; vertical-align:top; }
tbody tr:nth-child(even) td { background:#fafbfc; }
table.events td .msg { white-space:pre-wrap; word-break:break-word; }
table.events td:first-child, table.events td:nth-child(2) { white-space:nowrap; }
.badge { color:#fff; border-radius:10px; padding:1px 8px; font-size:12px; white-space:nowrap; }
.ev-warn { color:#c62828; font-weight:600; }
.ev-normal { color:var(--muted); }
.note { color:var(--muted); font-size:13px; }
.empty { color:var(--muted); font-style:italic; }
.plot { width:100%; min-height:120px; }
.plot.small { min-height:280px; }
article.pod dl { display:flex; flex-wrap:wrap; gap:2px 18px; margin:0 0 6px; font-size:13px; }
article.pod dt { color:var(--muted); }
article.pod dt::after { content:":"; }
article.pod dd { margin:0 0 0 -14px; }
article.pod { scroll-margin-top:12px; }
article.pod:target { border-color:var(--accent); box-shadow:0 0 0 2px #cfe3ff; }
details summary { cursor:pointer; color:var(--muted); margin:6px 0; }
.top { text-align:right; font-size:12px; margin:4px 0 0; }
.slider { display:flex; align-items:center; gap:10px; margin:6px 0 10px; }
.slider input[type=range] { flex:1; }
.slider button { border:1px solid var(--line); background:#fff; border-radius:4px;
  padding:2px 9px; cursor:pointer; }
.mono { font-family:ui-monospace,SFMono-Regular,Menlo,monospace; font-size:13px; }
.counts { display:flex; gap:8px; flex-wrap:wrap; margin-bottom:8px; }
#state-filter { padding:4px 8px; border:1px solid var(--line); border-radius:4px; width:260px;
  margin-bottom:6px; }
#state-table { max-width:1100px; }
#state-table td.ctr, #state-table td.why, span.why { word-break:break-word; }
span.why, td.why { color:#8a1c1c; }
"""

JS = r"""
(function () {
  "use strict";
  var CONFIG = {displaylogo: false, responsive: true};
  function spec(div) {
    return JSON.parse(document.getElementById(div.getAttribute("data-spec")).textContent);
  }
  function draw(div) {
    if (!div || div.getAttribute("data-drawn")) return;
    div.setAttribute("data-drawn", "1");
    var f = spec(div);
    Plotly.newPlot(div, f.data, f.layout, CONFIG).then(function (gd) {
      linkAxes();
      gd.setAttribute("data-ready", "1");  // drawn and laid out (tests wait for this)
      gd.on("plotly_click", function (ev) {
        var p = ev && ev.points && ev.points[0];
        var link = p && p.customdata;
        if (typeof link === "string" && link && document.getElementById(link)) {
          window.location.hash = link;
        }
      });
    });
  }
  // The phase-count chart and the cluster rows share one time axis: the same plot-area
  // margins, and a zoom or pan of either moves the other.
  function linkAxes() {
    var a = document.getElementById("fig-phase-counts"), b = document.getElementById("fig-cluster");
    if (!a || !b || !a._fullLayout || !b._fullLayout || a.getAttribute("data-linked")) return;
    a.setAttribute("data-linked", "1");
    var l = Math.max(a._fullLayout._size.l, b._fullLayout._size.l);
    var r = Math.max(a._fullLayout._size.r, b._fullLayout._size.r);
    var busy = false;
    [a, b].forEach(function (gd) {
      Plotly.relayout(gd, {"margin.l": l, "margin.r": r, "yaxis.automargin": false});
    });
    function follow(src, dst) {
      src.on("plotly_relayout", function (ev) {
        var upd = null;
        if (ev["xaxis.range[0]"] !== undefined) {
          upd = {"xaxis.range": [ev["xaxis.range[0]"], ev["xaxis.range[1]"]]};
        } else if (ev["xaxis.range"]) upd = {"xaxis.range": ev["xaxis.range"]};
        else if (ev["xaxis.autorange"]) upd = {"xaxis.autorange": true};
        if (!upd || busy) return;
        busy = true;
        Plotly.relayout(dst, upd).then(function () { busy = false; });
      });
    }
    follow(a, b);
    follow(b, a);
  }
  var plots = Array.prototype.slice.call(document.querySelectorAll(".plot"));
  var lazy = [];
  plots.forEach(function (div) {
    if (div.hasAttribute("data-eager")) draw(div); else lazy.push(div);
  });
  if ("IntersectionObserver" in window) {
    var io = new IntersectionObserver(function (entries) {
      entries.forEach(function (e) {
        if (e.isIntersecting) { draw(e.target); io.unobserve(e.target); }
      });
    }, {rootMargin: "300px"});
    lazy.forEach(function (div) { io.observe(div); });
  } else {
    lazy.forEach(draw);
  }
  function drawTarget() {
    var id = window.location.hash.slice(1);
    var el = id && document.getElementById(id);
    if (el) { var div = el.querySelector(".plot"); if (div) draw(div); }
  }
  window.addEventListener("hashchange", drawTarget);
  drawTarget();

  var dataEl = document.getElementById("state-data");
  if (!dataEl) return;
  var d = JSON.parse(dataEl.textContent);
  var range = document.getElementById("state-time");
  var label = document.getElementById("state-label");
  var counts = document.getElementById("state-counts");
  var filter = document.getElementById("state-filter");
  var tbody = document.querySelector("#state-table tbody");
  var more = document.getElementById("state-more");
  function el(tag, text, cls) {
    var e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function stateAt(t) {
    var st = new Map();
    for (var k = 0; k < d.changes.length; k++) {
      var c = d.changes[k];
      if (c[0] > t) break;
      var s = st.get(c[1]);
      if (!s) {
        s = {phase: null, ready: null, restarts: 0, gone: false, ctr: new Map()};
        st.set(c[1], s);
      }
      if (c[2] === 0) { s.phase = c[3]; s.gone = false; }
      else if (c[2] === 1) s.ready = c[3];
      else if (c[2] === 2) s.restarts = c[3];
      else if (c[2] === 4) {
        var text = d.texts[c[3]];
        s.ctr.set(text.slice(0, text.indexOf("=")), text);
      } else s.gone = true;
    }
    return st;
  }
  function badge(phase) {
    var b = el("span", d.phases[phase], "badge");
    b.style.background = d.colors[phase];
    return b;
  }
  function render() {
    var t = Number(range.value);
    label.textContent = new Date(d.t0 + t).toISOString().replace("T", " ").replace("Z", " UTC");
    var st = stateAt(t);
    var q = filter.value.trim().toLowerCase();
    var live = [];
    var perPhase = d.phases.map(function () { return 0; });
    st.forEach(function (s, i) {
      if (s.gone || s.phase === null) return;
      perPhase[s.phase] += 1;
      s.ctrText = Array.from(s.ctr.values()).join(", ");
      // the filter matches the pod's name, phase, container states and reasons, and why
      var hay = [d.pods[i][0], d.phases[s.phase], s.ctrText, d.pods[i][2]].join(" ");
      if (!q || hay.toLowerCase().indexOf(q) >= 0) live.push([i, s]);
    });
    live.sort(function (a, b) { return a[0] - b[0]; });
    counts.replaceChildren();
    perPhase.forEach(function (n, p) {
      var b = badge(p); b.textContent = d.phases[p] + " " + n; counts.appendChild(b);
    });
    tbody.replaceChildren();
    live.slice(0, d.max_rows).forEach(function (row) {
      var pod = d.pods[row[0]], s = row[1], tr = document.createElement("tr");
      var td = document.createElement("td");
      if (pod[1]) { var a = el("a", pod[0]); a.href = "#" + pod[1]; td.appendChild(a); }
      else td.textContent = pod[0];
      tr.appendChild(td);
      var ph = document.createElement("td"); ph.appendChild(badge(s.phase)); tr.appendChild(ph);
      tr.appendChild(el("td", s.ready === null ? "–" : (s.ready ? "yes" : "no")));
      tr.appendChild(el("td", s.restarts));
      tr.appendChild(el("td", s.ctrText, "ctr"));
      tr.appendChild(el("td", pod[2], "why"));
      tbody.appendChild(tr);
    });
    more.textContent = live.length > d.max_rows
      ? "Showing " + d.max_rows + " of " + live.length + " pods; filter to narrow." : "";
  }
  function jump(dir) {
    var t = Number(range.value), best = null;
    for (var k = 0; k < d.changes.length; k++) {
      var c = d.changes[k][0];
      if (dir > 0 && c > t) { best = c; break; }
      if (dir < 0 && c < t) best = c;
    }
    if (best !== null) { range.value = String(best); render(); }
  }
  range.addEventListener("input", render);
  filter.addEventListener("input", render);
  document.getElementById("state-prev").addEventListener("click", function () { jump(-1); });
  document.getElementById("state-next").addEventListener("click", function () { jump(1); });
  render();
})();
"""
