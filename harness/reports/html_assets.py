"""The HTML report's inline style sheet and script (no external resources: the page must open anywhere, offline).

The script reads the JSON in `#harness-data`, draws the timeline on one canvas (a bar per test, a lane per
worker) and fills the table of every test a page at a time. It only ever sets text (`textContent`), never
markup. When it has finished it sets `data-rendered="ok"` on <body>; an error sets `data-rendered="error"`
and `data-error` to the error's text, and shows it at the top of the page.
"""
from __future__ import annotations

STYLE = """
:root { --passed: #2e7d32; --failed: #c62828; --error: #e65100; --skipped: #9e9e9e; --xfailed: #81c784;
  --xpassed: #f9a825; font-family: system-ui, sans-serif; font-size: 15px; color: #212121; }
body { margin: 0 auto; max-width: 1200px; padding: 0 1em 3em; }
header { border-bottom: 4px solid var(--passed); padding-bottom: .5em; margin-bottom: 1em; }
header.failed { border-color: var(--failed); }
header.interrupted { border-color: var(--xpassed); }
h1 { margin: .5em 0 .2em; }
h2 { border-bottom: 1px solid #ddd; padding-bottom: .2em; margin-top: 1.6em; }
.summary-line { font-size: 1.3em; font-weight: bold; margin: .2em 0; }
dl#facts { display: grid; grid-template-columns: max-content auto; gap: .1em 1em; }
dl#facts dt { font-weight: bold; }
dl#facts dd { margin: 0; }
code, pre, .id { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .92em; }
pre { background: #f6f6f6; border: 1px solid #e0e0e0; padding: .6em; overflow-x: auto; white-space: pre-wrap;
  word-break: break-word; max-height: 40em; overflow-y: auto; }
.badge { display: inline-block; border-radius: 3px; padding: 0 .4em; color: #fff; font-size: .85em; }
.badge.passed { background: var(--passed); } .badge.failed { background: var(--failed); }
.badge.error { background: var(--error); } .badge.skipped { background: var(--skipped); }
.badge.xfailed { background: var(--xfailed); color: #1b1b1b; }
.badge.xpassed { background: var(--xpassed); color: #1b1b1b; }
details.failure { border-left: 3px solid var(--failed); padding-left: .6em; margin: .8em 0; }
details.failure > summary { cursor: pointer; }
.label { margin: .3em 0 0; font-size: .85em; color: #555; }
.none { color: #555; }
ul.findings > li { margin: .4em 0; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: .15em .5em; border-bottom: 1px solid #eee; vertical-align: top; }
td.num { text-align: right; white-space: nowrap; }
#test-table td:nth-child(6) { color: #444; }
#timeline-frame { overflow-x: auto; border: 1px solid #ddd; position: relative; }
#timeline { display: block; }
#tip { position: fixed; background: #212121; color: #fff; padding: .3em .5em; border-radius: 3px;
  font-size: .85em; pointer-events: none; max-width: 40em; z-index: 10; }
#render-error { background: #ffebee; border: 1px solid var(--failed); padding: .5em; }
.controls label { margin-right: 1em; }
#filter { width: 20em; }
tr.picked { background: #fff8e1; }
"""

SCRIPT = r"""
(function () {
  "use strict";
  var COLOURS = { passed: "#2e7d32", failed: "#c62828", error: "#e65100", skipped: "#9e9e9e",
    xfailed: "#81c784", xpassed: "#f9a825" };
  var FAILING = { passed: false, failed: true, error: true, skipped: false, xfailed: false, xpassed: true };
  var LEFT_TASKS = 1, CHANGED_STATE = 2, SHOWN_IN_FULL = 4;
  var ROW = 22, AXIS = 22, LABEL = 70, PAGE = 100, MAX_WIDTH = 30000;
  var body = document.body;

  function $(id) { return document.getElementById(id); }
  function seconds(value) { return value.toFixed(3) + " s"; }
  function cell(row, text, cls) {
    var td = document.createElement("td");
    td.textContent = text;
    if (cls) { td.className = cls; }
    row.appendChild(td);
    return td;
  }

  // -- the timeline: one canvas, a lane per worker, a bar per test -------------------------------------
  function Timeline(data) {
    this.data = data;
    this.tests = data.tests;
    var workers = {};
    this.tests.forEach(function (t) { workers[t[4]] = true; });
    this.workers = Object.keys(workers).map(Number).sort(function (a, b) { return a - b; });
    this.lanes = {};  // worker number -> indices of its tests, by start
    var lanes = this.lanes, tests = this.tests;
    this.workers.forEach(function (w) { lanes[w] = []; });
    tests.forEach(function (t, i) { lanes[t[4]].push(i); });
    this.workers.forEach(function (w) { lanes[w].sort(function (a, b) { return tests[a][3] - tests[b][3]; }); });
    this.canvas = $("timeline");
    this.zoom = 1;
  }

  Timeline.prototype.draw = function () {
    var canvas = this.canvas, frame = $("timeline-frame");
    var width = Math.min(MAX_WIDTH, Math.max(300, (frame.clientWidth || 800) - 2) * this.zoom);
    var height = AXIS + ROW * Math.max(1, this.workers.length);
    var ratio = Math.min(window.devicePixelRatio || 1, MAX_WIDTH / width);
    canvas.width = Math.floor(width * ratio);
    canvas.height = Math.floor(height * ratio);
    canvas.style.width = width + "px";
    canvas.style.height = height + "px";
    var g = canvas.getContext("2d");
    g.setTransform(ratio, 0, 0, ratio, 0, 0);
    g.clearRect(0, 0, width, height);
    this.width = width;
    this.scale = (width - LABEL - 10) / Math.max(this.data.duration, 1e-6);
    this.axis(g, width);
    var bars = 0, self = this;
    this.workers.forEach(function (w, lane) {
      var y = AXIS + lane * ROW;
      g.fillStyle = "#212121";
      g.font = "12px sans-serif";
      g.textBaseline = "middle";
      g.fillText(w ? "worker " + w : "runner", 4, y + ROW / 2);
      // failures last, so that a thin one is not hidden under its neighbours
      [false, true].forEach(function (failures) {
        self.lanes[w].forEach(function (i) {
          if (FAILING[self.data.outcomes[self.tests[i][1]]] === failures) { self.bar(g, self.tests[i], y); bars += 1; }
        });
      });
    });
    canvas.setAttribute("data-bars", String(bars));
    canvas.setAttribute("data-lanes", String(this.workers.length));
  };

  Timeline.prototype.axis = function (g, width) {
    var duration = this.data.duration, step = Math.pow(10, Math.floor(Math.log10(Math.max(duration, 1e-3) / 4)));
    while (duration / step > 10 * this.zoom) { step *= 2; }
    var decimals = Math.min(6, Math.max(0, -Math.floor(Math.log10(step) + 1e-9)));
    g.fillStyle = "#555";
    g.font = "11px sans-serif";
    g.textBaseline = "top";
    for (var k = 0; k * step <= duration + 1e-9; k++) {
      var x = LABEL + k * step * this.scale;
      g.fillRect(x, 14, 1, 6);
      g.fillText((k * step).toFixed(decimals) + " s", x + 2, 2);
    }
  };

  Timeline.prototype.bar = function (g, test, y) {
    var x = LABEL + test[3] * this.scale, w = Math.max(1, test[2] * this.scale);
    g.fillStyle = COLOURS[this.data.outcomes[test[1]]];
    g.fillRect(x, y + 3, w, ROW - 6);
    if (test[5] & (LEFT_TASKS | CHANGED_STATE)) {
      g.fillStyle = "#000";
      g.fillRect(x, y + 3, w, 3);
    }
  };

  // The test under the pointer: in its lane, the last one started at or before that time, if it covers it.
  Timeline.prototype.at = function (x, y) {
    var lane = Math.floor((y - AXIS) / ROW);
    if (lane < 0 || lane >= this.workers.length) { return -1; }
    var time = (x - LABEL) / this.scale, slack = 3 / this.scale;
    var indices = this.lanes[this.workers[lane]], tests = this.tests, low = 0, high = indices.length - 1, found = -1;
    while (low <= high) {
      var middle = (low + high) >> 1;
      if (tests[indices[middle]][3] <= time + slack) { found = middle; low = middle + 1; } else { high = middle - 1; }
    }
    if (found < 0) { return -1; }
    var test = tests[indices[found]];
    return time <= test[3] + test[2] + slack ? indices[found] : -1;
  };

  // -- the table of every test, a page at a time ---------------------------------------------------------
  function Table(data) {
    this.data = data;
    this.page = 0;
    this.rows = [];
  }

  Table.prototype.select = function () {
    var data = this.data, text = $("filter").value.toLowerCase(), outcome = $("outcome").value;
    var sort = $("sort").value, rows = [];
    for (var i = 0; i < data.tests.length; i++) {
      var t = data.tests[i], name = data.outcomes[t[1]];
      if (outcome === "!ok" && !(name === "failed" || name === "error" || name === "xpassed")) { continue; }
      if (outcome && outcome !== "!ok" && name !== outcome) { continue; }
      if (text && t[0].toLowerCase().indexOf(text) < 0 && t[6].toLowerCase().indexOf(text) < 0) { continue; }
      rows.push(i);
    }
    var tests = data.tests;
    if (sort === "slowest") { rows.sort(function (a, b) { return tests[b][2] - tests[a][2]; }); }
    if (sort === "start") { rows.sort(function (a, b) { return tests[a][3] - tests[b][3]; }); }
    if (sort === "id") {
      rows.sort(function (a, b) { return tests[a][0] < tests[b][0] ? -1 : tests[a][0] > tests[b][0] ? 1 : 0; });
    }
    this.rows = rows;
    this.page = 0;
    this.show();
  };

  Table.prototype.show = function () {
    var tbody = $("test-table").tBodies[0], data = this.data;
    var pages = Math.max(1, Math.ceil(this.rows.length / PAGE));
    this.page = Math.min(Math.max(0, this.page), pages - 1);
    var first = this.page * PAGE, last = Math.min(this.rows.length, first + PAGE);
    var fragment = document.createDocumentFragment();
    for (var k = first; k < last; k++) {
      var index = this.rows[k], t = data.tests[index], row = document.createElement("tr");
      row.id = "row-" + index;
      var badge = document.createElement("span"), name = data.outcomes[t[1]];
      badge.className = "badge " + name;
      badge.textContent = name;
      cell(row, "").appendChild(badge);
      cell(row, seconds(t[2]), "num");
      cell(row, seconds(t[3]), "num");
      cell(row, t[4] ? String(t[4]) : "-", "num");
      var id = cell(row, "", "id");
      if (t[5] & SHOWN_IN_FULL) {
        var link = document.createElement("a");
        link.href = "#r" + index;
        link.textContent = t[0];
        id.appendChild(link);
      } else {
        id.textContent = t[0];
      }
      var notes = [];
      if (t[5] & LEFT_TASKS) { notes.push("[left tasks or unhandled errors]"); }
      if (t[5] & CHANGED_STATE) { notes.push("[changed global state]"); }
      cell(row, notes.concat(t[6] ? [t[6]] : []).join(" "));
      fragment.appendChild(row);
    }
    tbody.textContent = "";
    tbody.appendChild(fragment);
    $("page-info").textContent = this.rows.length
      ? "tests " + (first + 1) + " to " + last + " of " + this.rows.length
        + " (page " + (this.page + 1) + " of " + pages + ")"
      : "no test matches";
    $("previous").disabled = this.page === 0;
    $("next").disabled = this.page >= pages - 1;
  };

  Table.prototype.pick = function (index) {
    $("filter").value = this.data.tests[index][0];
    $("outcome").value = "";
    this.select();
    var row = $("row-" + index);
    if (row) { row.className = "picked"; row.scrollIntoView({ block: "center" }); }
  };

  // -- wiring ------------------------------------------------------------------------------------------------
  function start() {
    var data = JSON.parse($("harness-data").textContent);
    var timeline = new Timeline(data), table = new Table(data), tip = $("tip");
    timeline.draw();
    table.select();
    $("zoom").addEventListener("change", function () { timeline.zoom = Number(this.value); timeline.draw(); });
    window.addEventListener("resize", function () { timeline.draw(); });
    ["filter", "outcome", "sort"].forEach(function (id) {
      $(id).addEventListener(id === "filter" ? "input" : "change", function () { table.select(); });
    });
    $("previous").addEventListener("click", function () { table.page -= 1; table.show(); });
    $("next").addEventListener("click", function () { table.page += 1; table.show(); });
    function under(event) {
      var box = timeline.canvas.getBoundingClientRect();
      return timeline.at(event.clientX - box.left, event.clientY - box.top);
    }
    timeline.canvas.addEventListener("mousemove", function (event) {
      var index = under(event);
      if (index < 0) { tip.hidden = true; return; }
      var t = data.tests[index];
      tip.textContent = t[0] + " \u2014 " + data.outcomes[t[1]] + ", " + seconds(t[2]) + " from " + seconds(t[3]);
      tip.style.left = (event.clientX + 12) + "px";
      tip.style.top = (event.clientY + 12) + "px";
      tip.hidden = false;
    });
    timeline.canvas.addEventListener("mouseleave", function () { tip.hidden = true; });
    timeline.canvas.addEventListener("click", function (event) {
      var index = under(event);
      if (index >= 0) { table.pick(index); }
    });
  }

  try {
    start();
    body.setAttribute("data-rendered", "ok");
  } catch (error) {
    var text = String(error && error.stack || error);
    body.setAttribute("data-rendered", "error");
    body.setAttribute("data-error", text);
    var note = document.createElement("p");
    note.id = "render-error";
    note.textContent = "This page's script failed, so the timeline and the table are missing: " + text;
    body.insertBefore(note, body.firstChild);
  }
})();
"""
