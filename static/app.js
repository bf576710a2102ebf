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

  document.addEventListener("htmx:sseOpen", function () { badge("live", "live"); });

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
})();
