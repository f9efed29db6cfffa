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
