/* SLA countdowns on the wall screen: every element with `data-due` (and `data-start`, when
 * the clock started) shows the time left, turning amber in the last quarter and red when
 * overdue; one with `data-since` the time since. Drawn in the browser once a second; the
 * server only pushes changes. */
(function () {
  function pad(n) { return (n < 10 ? "0" : "") + n; }
  function tick() {
    var now = Date.now();
    document.querySelectorAll("[data-due]").forEach(function (el) {
      var due = Date.parse(el.dataset.due);
      if (isNaN(due)) { return; }
      var start = Date.parse(el.dataset.start);
      var left = Math.round((due - now) / 1000);
      var abs = Math.abs(left);
      var h = Math.floor(abs / 3600), m = Math.floor((abs % 3600) / 60), s = abs % 60;
      el.textContent = (left < 0 ? "+" : "") + (h ? h + ":" + pad(m) : m) + ":" + pad(s);
      var quarter = isNaN(start) ? 300 : (due - start) / 4000;
      el.classList.toggle("sla-overdue", left < 0);
      el.classList.toggle("sla-soon", left >= 0 && left <= quarter);
    });
  }
  /* Time in a status (a task's, `data-since`), counting up: m:ss, or h:mm:ss. */
  function since() {
    var now = Date.now();
    document.querySelectorAll("[data-since]").forEach(function (el) {
      var start = Date.parse(el.dataset.since);
      if (isNaN(start)) { return; }
      var s = Math.max(0, Math.round((now - start) / 1000));
      var h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
      el.textContent = (h ? h + ":" + pad(m) : m) + ":" + pad(s % 60);
    });
  }
  setInterval(since, 1000);
  setInterval(tick, 1000);
  document.addEventListener("DOMContentLoaded", tick);
})();
