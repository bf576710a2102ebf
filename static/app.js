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
  document.addEventListener("htmx:sseError", function () { badge("reconnecting", "reconnecting…"); });
  document.addEventListener("htmx:sseClose", function () { badge("finished", "finished"); });

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
