// leadgen: the connection badge, and resuming streams where the page is. No inline scripts.
(function () {
  "use strict";

  function badge(state, words) {
    var el = document.getElementById("badge");
    if (!el) return;
    el.dataset.state = state;
    el.textContent = words;
  }

  // Every update's id is its event number. A reconnect may replay updates the page already
  // has: skip them. Keep the stream's address pointing after the last update, so that a new
  // EventSource (the SSE extension makes one when the old one closes) resumes from there.
  document.addEventListener("htmx:sseBeforeMessage", function (evt) {
    var run = document.getElementById("run");
    var seq = parseInt(evt.detail.lastEventId, 10);
    if (!run || isNaN(seq)) return;
    if (seq <= parseInt(run.dataset.lastSeq || "0", 10)) {
      evt.preventDefault();
      return;
    }
    run.dataset.lastSeq = String(seq);
    run.setAttribute("sse-connect", "/runs/" + run.dataset.runId + "/events?after=" + seq);
  });

  // A run waiting for a run slot is connected but not going yet: say so until it starts.
  function connected() {
    if (document.getElementById("run-waiting")) badge("waiting", "waiting");
    else badge("live", "live");
  }
  document.addEventListener("htmx:sseOpen", connected);
  function started() {
    var el = document.getElementById("badge");
    if (el && el.dataset.state === "waiting") connected();
  }
  document.addEventListener("htmx:sseMessage", started);

  // A server that is being restarted says so before it ends the stream: show its words until
  // the page is connected again (the browser reconnects by itself, from the last update).
  document.addEventListener("htmx:sseOpen", function (evt) {
    var notice = document.getElementById("restarting");
    if (notice) notice.hidden = true;
    var source = evt.detail && evt.detail.source;
    if (!source || source.leadgenListens) return;
    source.leadgenListens = true;
    source.addEventListener("restarting", function (message) {
      var shown = document.getElementById("restarting");
      if (shown) {
        shown.textContent = message.data;
        shown.hidden = false;
      }
      badge("reconnecting", "server restarting…");
    });
  });
  document.addEventListener("htmx:sseError", function () { badge("reconnecting", "reconnecting…"); });
  document.addEventListener("htmx:sseClose", function () { badge("finished", "finished"); });

  // Risky actions (cancel a run, send emails, revoke a token) ask first. In the capture phase,
  // before htmx or the browser act on the submit; without JavaScript the form just submits.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var question = form && form.dataset ? form.dataset.confirm : null;
    if (question && !window.confirm(question)) {
      evt.preventDefault();
      evt.stopImmediatePropagation();
    }
  }, true);

  // Forms that arrive over the live stream were rendered once for every viewer, so they carry
  // no form token of their own: add this page's before they are sent.
  document.addEventListener("submit", function (evt) {
    var form = evt.target;
    var meta = document.querySelector('meta[name="csrf-token"]');
    if (!meta || !form || (form.method || "").toLowerCase() !== "post") return;
    if (form.querySelector('input[name="csrf_token"]')) return;
    var input = document.createElement("input");
    input.type = "hidden";
    input.name = "csrf_token";
    input.value = meta.content;
    form.appendChild(input);
  }, true);

  // What is still going counts on between updates: "running for" (data-elapsed: seconds when
  // the server drew it), "next try in" (data-remaining) and the timeline while an attempt runs
  // (data-span: the seconds it spans; data-grow: the running bar's width per second). Counted from when this page got the element, so the browser's clock
  // may differ from the server's; the next update redraws them from the server's figures.
  function duration(seconds) {
    if (seconds < 1) return Math.round(seconds * 1000) + " ms";
    if (seconds < 60) return seconds.toFixed(1) + " s";
    var minutes = Math.floor(Math.round(seconds) / 60), rest = Math.round(seconds) % 60;
    if (minutes < 60) return minutes + " min " + rest + " s";
    return Math.floor(minutes / 60) + " h " + (minutes % 60) + " min";
  }

  var seen = new WeakMap();
  function since(el, now) {
    if (!seen.has(el)) seen.set(el, now);
    return (now - seen.get(el)) / 1000;
  }

  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-elapsed]").forEach(function (el) {
      el.textContent = duration(parseFloat(el.dataset.elapsed) + since(el, now));
    });
    document.querySelectorAll("[data-remaining]").forEach(function (el) {
      var left = parseFloat(el.dataset.remaining) - since(el, now);
      el.textContent = left > 0 ? duration(Math.ceil(left)) : "a moment";
    });
    // The timeline spans the run so far: as a running attempt grows, the rest shrink to fit.
    document.querySelectorAll("#timeline-span").forEach(function (marker) {
      var timeline = marker.parentElement;
      var span = parseFloat(marker.dataset.span), t = since(marker, now);
      var scale = span / (span + t);
      var end = document.getElementById("timeline-end"), mid = document.getElementById("timeline-mid");
      if (end) end.textContent = duration(span + t);
      if (mid) mid.textContent = duration((span + t) / 2);
      timeline.querySelectorAll("rect").forEach(function (rect) {
        if (!rect.dataset.x0) {
          rect.dataset.x0 = rect.getAttribute("x");
          rect.dataset.w0 = rect.getAttribute("width");
        }
        var width = parseFloat(rect.dataset.w0);
        if (rect.dataset.grow) width += parseFloat(rect.dataset.grow) * t;
        rect.setAttribute("x", (parseFloat(rect.dataset.x0) * scale).toFixed(1));
        rect.setAttribute("width", (width * scale).toFixed(1));
      });
    });
  }
  tick();
  window.setInterval(tick, 1000);
})();
