/* The supervisor's alert phone page.
 *
 * - The alerts arrive over /ws/siaga, pushed whenever the list changes; the last list is
 *   kept (localStorage) and shown when the page opens with no signal.
 * - An alert this page has not seen before buzzes the phone and, once the supervisor has
 *   allowed it (the button: never asked on load), shows a system notification through the
 *   service worker; tapping it brings this page back.
 * - How long ago each deadline passed counts from the server's time, not the phone's.
 */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("siaga-config").textContent);
  var T = cfg.texts;
  var STATE_KEY = "liveroom.siaga.state." + cfg.user;
  var SEEN_KEY = "liveroom.siaga.seen." + cfg.user;
  var SILENT_MS = 45000, MAX_SEEN = 500;
  var $ = function (id) { return document.getElementById(id); };

  var state = stored(STATE_KEY);   // {at, alerts, skew}: the last list pushed
  var seen = stored(SEEN_KEY);     // ids alerted on this page already (null: never opened)
  var socket = null, lastHeard = 0, retryMs = 1000, everUp = false;

  function t(key, values) {
    var text = T[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(values[name]);
    });
    return text;
  }

  function stored(key) {
    try { return JSON.parse(localStorage.getItem(key) || "null"); } catch (e) { return null; }
  }

  function keep(key, value) {
    try { localStorage.setItem(key, JSON.stringify(value)); } catch (e) { /* full: no matter */ }
  }

  /* ---- the link ------------------------------------------------------------------- */

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/siaga?lang=" + cfg.lang);
    socket.onopen = function () {
      retryMs = 1000;
      lastHeard = Date.now();
      everUp = true;
      link("live");
    };
    socket.onmessage = function (event) {
      lastHeard = Date.now();
      var message = JSON.parse(event.data);
      if (message.type === "alerts") { receive(message); }
    };
    socket.onclose = function (event) {
      socket = null;
      link(everUp ? "reconnecting" : "connecting");
      if (event.code === 4401) { notice(t("siaga.signed_out"), "error"); return; }
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
  }

  setInterval(function () {  // a link that went silent is dead even if not closed
    if (socket && socket.readyState === 1 && Date.now() - lastHeard > SILENT_MS) {
      socket.close();
    }
  }, 5000);

  function link(how) {  // (the wall screen's words)
    var badge = $("link");
    badge.textContent = t({ live: "home.live", reconnecting: "home.reconnecting",
                            connecting: "siaga.connecting" }[how]);
    badge.className = "link " + (how === "live" ? "online" : "offline");
    badge.dataset.state = how;
  }

  /* ---- alerts --------------------------------------------------------------------- */

  function receive(message) {
    message.skew = Date.parse(message.at) - Date.now();
    state = message;
    keep(STATE_KEY, message);
    var known = seen || [];
    var ids = message.alerts.map(function (alert) { return alert.id; });
    // the first list this page ever gets is read on the screen, not rung in
    var fresh = !seen ? [] : message.alerts.filter(function (alert) {
      return known.indexOf(alert.id) < 0;
    });
    seen = known.concat(ids.filter(function (id) { return known.indexOf(id) < 0; }))
      .slice(-MAX_SEEN);
    keep(SEEN_KEY, seen);
    render();
    if (fresh.length) { ring(fresh); }
  }

  function describe(alert) {
    return [alert.address, alert.district_name].filter(Boolean).join(" · ") || alert.id;
  }

  function ring(fresh) {
    notice(fresh.length === 1 ? t("siaga.new_alert", { what: fresh[0].category_name,
                                                      where: describe(fresh[0]) })
      : t("siaga.new_alerts", { count: fresh.length }), "alert");
    // (browsers refuse to buzz a page nobody has touched yet, and say so in the console)
    if (navigator.vibrate && (!navigator.userActivation || navigator.userActivation.hasBeenActive)) {
      navigator.vibrate([400, 150, 400, 150, 400]);
    }
    if (!("Notification" in window) || Notification.permission !== "granted" ||
        !("serviceWorker" in navigator)) { return; }
    navigator.serviceWorker.ready.then(function (registration) {
      fresh.forEach(function (alert) {
        registration.showNotification(t("siaga.notification_title", {
          what: alert.category_name }), {
          body: [alert.district_name || alert.address || alert.id, alert.rule].join(" · "),
          tag: "siaga-" + alert.id, renotify: true, requireInteraction: true,
          vibrate: [400, 150, 400], data: { url: "/siaga?lang=" + cfg.lang } });
      });
    }).catch(function () {});
  }

  function notice(text, kind) {
    var box = $("notice");
    box.textContent = text;
    box.className = "notice " + (kind || "info");
    box.hidden = false;
  }

  /* ---- notifications: asked for by a tap, never on load --------------------------- */

  function permission() {
    var supported = "Notification" in window && "serviceWorker" in navigator;
    var now = supported ? Notification.permission : "unsupported";
    $("notify").hidden = now !== "default";
    $("notify-status").textContent = now === "granted" ? t("siaga.notify_on") :
      now === "denied" ? t("siaga.notify_blocked") :
      now === "unsupported" ? t("siaga.notify_unsupported") : t("siaga.notify_hint");
  }

  $("notify").addEventListener("click", function () {
    var asked = Notification.requestPermission(permission);  // (older Safari: a callback)
    if (asked && asked.then) { asked.then(permission); }
  });

  /* ---- drawing -------------------------------------------------------------------- */

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function render() {
    if (!state) { return; }
    var list = $("alerts");
    list.textContent = "";
    state.alerts.forEach(function (alert) { list.appendChild(card(alert)); });
    $("alert-count").textContent = "(" + state.alerts.length + ")";
    $("no-alerts").hidden = state.alerts.length > 0;
    document.title = (state.alerts.length ? "(" + state.alerts.length + ") " : "") +
      document.title.replace(/^\(\d+\) /, "");
  }

  function card(alert) {
    var item = el("li", "task alert priority-" + alert.priority);
    item.id = "alert-" + alert.id;
    var head = el("div", "task-head");
    head.appendChild(el("strong", "task-title", alert.category_name));
    head.appendChild(el("span", "task-status", alert.agency_name));
    item.appendChild(head);
    item.appendChild(el("p", "task-where", describe(alert)));
    var late = el("p", "late");
    late.dataset.due = alert.due || "";
    item.appendChild(late);
    item.appendChild(el("p", "rule", alert.rule + (alert.rule_code ? " · " + alert.rule_code : "")));
    item.appendChild(el("p", "hint", alert.id + " · " + alert.status_name));
    var open = el("a", "navigate", t("siaga.open_wall"));
    open.href = "/?lang=" + cfg.lang;  // (the wall has no address for one incident yet)
    open.title = alert.id;
    item.appendChild(open);
    lateness(late);
    return item;
  }

  function lateness(node) {
    if (!node.dataset.due) { node.textContent = ""; return; }
    var now = Date.now() + (state.skew || 0);
    var minutes = Math.max(0, Math.floor((now - Date.parse(node.dataset.due)) / 60000));
    var span = minutes < 60 ? t("siaga.minutes", { minutes: minutes }) :
      t("siaga.hours", { hours: Math.floor(minutes / 60), minutes: minutes % 60 });
    node.textContent = t("siaga.late", { time: span, due: clock(node.dataset.due) });
  }

  setInterval(function () {  // deadlines keep passing between pushes
    Array.prototype.forEach.call(document.querySelectorAll("#alerts .late"), lateness);
  }, 30000);

  function clock(iso) {  // "14.05", or "24 Nov 14.05" when not today (the city's time)
    var zone = { timeZone: cfg.zone }, locale = cfg.lang === "id" ? "id-ID" : "en-GB";
    var when = new Date(iso), day = { day: "numeric", month: "short" };
    var time = when.toLocaleTimeString(locale, Object.assign({ hour: "2-digit",
                                                               minute: "2-digit" }, zone));
    var today = new Date().toLocaleDateString(locale, Object.assign({}, day, zone));
    var date = when.toLocaleDateString(locale, Object.assign({}, day, zone));
    return date === today ? time : date + " " + time;
  }

  if ("serviceWorker" in navigator) {  // the page opens with no signal; notifications
    navigator.serviceWorker.register("/siaga/sw.js", { scope: "/siaga" }).catch(function () {});
  }
  permission();
  render();
  connect();
})();
