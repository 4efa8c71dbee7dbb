/* django-expense-ai pages: @/# autocomplete, chat scrolling, drag and drop, charts. No build step. */
(function () {
  "use strict";

  var KINDS = { user: "person", group: "group", category: "category", tag: "tag" };

  function mentionBox(input) {
    var list = document.getElementById(input.getAttribute("aria-controls"));
    var url = input.dataset.mentionsUrl;
    var items = [], active = -1, token = null, timer = null, seq = 0;

    function close() {
      list.hidden = true; list.innerHTML = ""; items = []; active = -1; token = null;
      input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant");
    }
    function currentToken() {
      var pos = input.selectionStart, text = input.value.slice(0, pos);
      var m = /(^|\s)([@#][^\s@#]*)$/.exec(text);
      return m ? { start: pos - m[2].length, end: pos, text: m[2] } : null;
    }
    function highlight(i) {
      active = i;
      Array.prototype.forEach.call(list.children, function (li, j) {
        li.setAttribute("aria-selected", j === i ? "true" : "false");
      });
      if (i >= 0) input.setAttribute("aria-activedescendant", "ea-mention-" + i);
    }
    function choose(i) {
      if (!token || i < 0 || i >= items.length) return;
      var before = input.value.slice(0, token.start), after = input.value.slice(token.end);
      var insert = items[i].text + " ";
      input.value = before + insert + after.replace(/^\s+/, "");
      var caret = (before + insert).length;
      input.setSelectionRange(caret, caret);
      close(); input.focus();
    }
    function show(results) {
      items = results; list.innerHTML = "";
      if (!results.length) { close(); return; }
      results.forEach(function (r, i) {
        var li = document.createElement("li");
        li.id = "ea-mention-" + i; li.setAttribute("role", "option");
        li.textContent = r.label || r.text;
        var kind = document.createElement("span"); kind.className = "ea-kind";
        kind.textContent = KINDS[r.type] || r.type;
        li.appendChild(kind);
        li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
        list.appendChild(li);
      });
      list.hidden = false; input.setAttribute("aria-expanded", "true"); highlight(0);
    }
    function lookup() {
      token = currentToken();
      if (!token) { close(); return; }
      var mine = ++seq;
      fetch(url + "?q=" + encodeURIComponent(token.text), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (r) { return r.ok ? r.json() : { results: [] }; })
        .then(function (data) { if (mine === seq && token) show(data.results || []); })
        .catch(close);
    }
    input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(lookup, 120); });
    input.addEventListener("keydown", function (e) {
      if (list.hidden) return;
      if (e.key === "ArrowDown") { e.preventDefault(); highlight((active + 1) % items.length); }
      else if (e.key === "ArrowUp") { e.preventDefault(); highlight((active - 1 + items.length) % items.length); }
      else if (e.key === "Enter" || e.key === "Tab") { if (active >= 0) { e.preventDefault(); choose(active); } }
      else if (e.key === "Escape") { e.preventDefault(); close(); }
    });
    input.addEventListener("blur", function () { setTimeout(close, 150); });
  }

  function scrollChat() {
    var log = document.getElementById("ea-chat-log");
    if (log) log.scrollTop = log.scrollHeight;
  }

  function dropZone(zone) {
    var input = zone.querySelector("input[type=file]"), label = zone.querySelector(".ea-drop-name");
    function named() { if (label && input.files.length) label.textContent = "Chosen: " + input.files[0].name; }
    ["dragenter", "dragover"].forEach(function (t) {
      zone.addEventListener(t, function (e) { e.preventDefault(); zone.classList.add("ea-dragging"); });
    });
    ["dragleave", "drop"].forEach(function (t) {
      zone.addEventListener(t, function () { zone.classList.remove("ea-dragging"); });
    });
    zone.addEventListener("drop", function (e) {
      e.preventDefault();
      if (e.dataTransfer && e.dataTransfer.files.length) { input.files = e.dataTransfer.files; named(); }
    });
    input.addEventListener("change", named);
  }

  function data(id) { var el = document.getElementById(id); return el ? JSON.parse(el.textContent) : null; }
  function num(list) { return list.map(function (v) { return Number(v); }); }  /* display only; the figures are in the tables */
  var palette = ["#0b5cad", "#d9822b", "#2a9d8f", "#c44569", "#6c5ce7", "#7a8b99", "#e9c46a", "#264653", "#f28482", "#84a59d"];

  function charts() {
    if (!window.Chart) return;
    var budget = data("ea-budget-data");
    if (budget && document.getElementById("ea-budget-chart")) {
      new Chart(document.getElementById("ea-budget-chart"), {
        type: "bar",
        data: { labels: budget.labels, datasets: [
          { label: "Budget", data: num(budget.allocated), backgroundColor: "#9db8de" },
          { label: "Spent", data: num(budget.spent),
            backgroundColor: budget.over.map(function (o) { return o ? "#c0392b" : "#2a9d8f"; }) }
        ] },
        options: { maintainAspectRatio: false, plugins: { tooltip: { callbacks: { afterLabel: function (c) {
          return c.datasetIndex === 1 && budget.over[c.dataIndex] ? "over budget" : ""; } } } } }
      });
    }
    var months = data("ea-months-data");
    if (months && document.getElementById("ea-months-chart")) {
      var values = num(months.values);
      new Chart(document.getElementById("ea-months-chart"), {
        type: "bar",
        data: { labels: months.labels, datasets: [{ label: "Total (" + months.currency + ")", data: values,
          backgroundColor: values.map(function (v) { return v < 0 ? "#c0392b" : "#2a9d8f"; }) }] },
        options: { maintainAspectRatio: false, plugins: { legend: { display: false } } }
      });
    }
    document.querySelectorAll("canvas[data-template-chart]").forEach(function (canvas) {
      var d = data(canvas.dataset.templateChart);
      if (!d) return;
      new Chart(canvas, { type: "doughnut",
        data: { labels: d.labels, datasets: [{ data: num(d.values), backgroundColor: palette }] },
        options: { maintainAspectRatio: false, plugins: { legend: { display: false } } } });
    });
  }

  function init() {
    document.querySelectorAll("input[data-mentions-url]").forEach(mentionBox);
    document.querySelectorAll("[data-drop-zone]").forEach(dropZone);
    scrollChat();
    charts();
    document.body.addEventListener("htmx:afterRequest", function (e) {
      var form = e.detail.elt;
      if (e.detail.successful && form && form.classList && form.classList.contains("ea-chat-form")) {
        form.reset(); form.querySelector("input[name=text]").focus();
      }
    });
    document.body.addEventListener("htmx:afterSwap", function (e) {
      var empty = document.getElementById("ea-empty");
      if (e.target && e.target.id === "ea-messages") { if (empty) empty.remove(); scrollChat(); }
    });
  }
  // Deferred scripts run before DOMContentLoaded, so Chart.js (loaded after this file) is there by then.
  if (document.readyState === "complete") init(); else document.addEventListener("DOMContentLoaded", init);
})();
