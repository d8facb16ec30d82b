/* The field officer's phone page.
 *
 * - Duty and tasks arrive over /ws/field, pushed whenever they change.
 * - The phone's location goes up the same websocket (Traccar Client JSON); fixes taken
 *   while the link is down are kept (up to MAX_BUFFERED) and sent as one batch after.
 * - Every task step is an action in a queue kept in localStorage: sent in order, one at a
 *   time, each with its own Idempotency-Key, so an action whose answer was lost is sent
 *   again and done once. A refusal (4xx) drops that action and says why; a lost
 *   connection (or 5xx) keeps it and tries again.
 */
(function () {
  "use strict";
  var cfg = JSON.parse(document.getElementById("field-config").textContent);
  var T = cfg.texts;
  var NEXT = { assigned: "acknowledged", acknowledged: "en_route", en_route: "on_scene",
               on_scene: "resolved" };
  var STEP_LABEL = { acknowledged: "field.step_acknowledge", en_route: "field.step_en_route",
                     on_scene: "field.step_on_scene", resolved: "field.step_resolve" };
  var QUEUE_KEY = "liveroom.field.queue." + cfg.officer;
  var STATE_KEY = "liveroom.field.state." + cfg.officer;  // shown when opened with no signal
  var MAX_BUFFERED = 300, FIX_EVERY_MS = 10000, FIX_MOVED_M = 20, SILENT_MS = 45000;
  var $ = function (id) { return document.getElementById(id); };

  var state = lastKnown();   // the last state pushed by the server
  var queue = load();        // actions not yet answered by the server
  var socket = null, lastHeard = 0, retryMs = 1000;
  var buffered = [], lastSent = null, here = null;
  var draining = false, drainTimer = null, audio = null;
  var map = null, taskLayer = null, meMarker = null, resolving = null;

  function t(key, values) {
    var text = T[key] || key;
    Object.keys(values || {}).forEach(function (name) {
      text = text.split("{" + name + "}").join(values[name]);
    });
    return text;
  }

  /* ---- the queue ------------------------------------------------------------------ */

  function load() {
    try { return JSON.parse(localStorage.getItem(QUEUE_KEY) || "[]"); } catch (e) { return []; }
  }

  function lastKnown() {
    try { return JSON.parse(localStorage.getItem(STATE_KEY) || "null"); } catch (e) { return null; }
  }

  function save() {
    try {
      localStorage.setItem(QUEUE_KEY, JSON.stringify(queue));
      return true;
    } catch (e) {  // full (photos): the officer must know it was not kept
      notice(t("field.queue_full"), "error");
      return false;
    }
  }

  function newKey() {
    if (window.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    return Date.now().toString(36) + "-" + Math.random().toString(36).slice(2, 14);
  }

  function enqueue(action) {
    action.key = newKey();
    queue.push(action);
    if (!save()) { queue.pop(); return; }
    render();
    drain();
  }

  function request(action) {
    var headers = { "X-CSRF-Token": cfg.csrf, "Idempotency-Key": action.key };
    var body;
    if (action.form) {
      body = new FormData();
      body.append("note", action.form.note);
      if (action.form.photo) { body.append("photo", dataBlob(action.form.photo), "foto.jpg"); }
    } else {
      headers["Content-Type"] = "application/json";
      body = JSON.stringify(action.json || {});
    }
    return fetch(action.url, { method: "POST", headers: headers, body: body,
                               credentials: "same-origin" });
  }

  function drain() {
    if (draining || !queue.length) { return; }
    draining = true;
    clearTimeout(drainTimer);
    var action = queue[0];
    request(action).then(function (response) {
      if (response.status === 401) {  // signed out: keep everything, ask to sign in
        throw { signIn: true };
      }
      if (response.status >= 500 || response.status === 408 || response.status === 429) {
        throw { retry: true };
      }
      return response.json().catch(function () { return {}; }).then(function (body) {
        queue.shift();
        save();
        if (!response.ok) {
          notice(t("field.refused_action", { what: action.label, why: refusal(body) }), "error");
        } else {
          answered(body);
        }
      });
    }).then(function () {
      draining = false;
      render();
      drain();
    }, function (why) {  // no answer: the same action, with the same key, later
      draining = false;
      render();
      if (why && why.signIn) { notice(t("field.signed_out"), "error"); return; }
      drainTimer = setTimeout(drain, 5000);
    });
  }

  function answered(incident) {  // the step as the server took it, before its push arrives
    if (!state || !incident || !incident.id || !incident.status) { return; }
    state.tasks = state.tasks.filter(function (task) {
      if (task.id !== incident.id) { return true; }
      task.status = incident.status;
      task.next = NEXT[incident.status] || null;
      return incident.status !== "resolved";
    });
  }

  function refusal(body) {
    var known = body && body.code && T["field.error." + body.code];
    return known ? t("field.error." + body.code, body.params) : (body && body.message) || "?";
  }

  function dataBlob(url) {
    var parts = url.split(","), bytes = atob(parts[1]), array = new Uint8Array(bytes.length);
    for (var i = 0; i < bytes.length; i++) { array[i] = bytes.charCodeAt(i); }
    return new Blob([array], { type: "image/jpeg" });
  }

  /* ---- the link ------------------------------------------------------------------- */

  function connect() {
    var scheme = location.protocol === "https:" ? "wss://" : "ws://";
    socket = new WebSocket(scheme + location.host + "/ws/field?lang=" + cfg.lang);
    socket.onopen = function () {
      retryMs = 1000;
      lastHeard = Date.now();
      link(true);
      sendFixes();
      drain();
    };
    socket.onmessage = function (event) {
      lastHeard = Date.now();
      var message = JSON.parse(event.data);
      if (message.type === "state") { receive(message); }
      if (message.type === "fix" && message.error) {
        $("location-status").textContent = t("field.location_refused", { why: message.error });
      }
    };
    socket.onclose = function (event) {
      link(false);
      socket = null;
      if (event.code === 4401) { notice(t("field.signed_out"), "error"); return; }
      setTimeout(connect, retryMs);
      retryMs = Math.min(retryMs * 2, 10000);
    };
  }

  setInterval(function () {  // a link that went silent is dead even if not closed
    if (socket && socket.readyState === 1 && Date.now() - lastHeard > SILENT_MS) {
      socket.close();
    }
  }, 5000);
  window.addEventListener("online", function () { drain(); });

  function link(up) {
    var badge = $("link");
    badge.textContent = up ? t("field.online") : t("field.offline");
    badge.className = "link " + (up ? "online" : "offline");
  }

  function receive(message) {
    var before = state;
    state = message;
    try { localStorage.setItem(STATE_KEY, JSON.stringify(message)); } catch (e) {}
    if (before) {
      var known = {};
      before.tasks.forEach(function (task) { known[task.id] = true; });
      var fresh = message.tasks.filter(function (task) { return !known[task.id]; });
      if (fresh.length) {
        attention(t("field.new_task", { task: describe(fresh[0]) }));
      }
    }
    (message.gone || []).forEach(function (gone) {
      if (gone.why === "reassigned") {
        attention(t("field.reassigned", { id: gone.id }));
      } else if (gone.why === "closed") {
        notice(t("field.closed", { id: gone.id }), "info");
      }
    });
    render();
  }

  function describe(task) {
    return task.category_name + " · " + (task.address || task.district_name || task.id);
  }

  /* ---- attention: banner, vibration, a short tone --------------------------------- */

  function notice(text, kind) {
    var box = $("notice");
    box.textContent = text;
    box.className = "notice " + (kind || "info");
    box.hidden = false;
  }

  function attention(text) {
    notice(text, "alert");
    if (navigator.vibrate) { navigator.vibrate([300, 120, 300]); }
    try {
      if (!audio) { return; }
      var tone = audio.createOscillator(), gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.2;
      tone.connect(gain).connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.35);
    } catch (e) { /* no sound on this browser */ }
  }

  document.addEventListener("click", function unlock() {  // browsers allow sound after a tap
    try { audio = new (window.AudioContext || window.webkitAudioContext)(); } catch (e) {}
    document.removeEventListener("click", unlock);
  });

  /* ---- location ------------------------------------------------------------------- */

  function sharing() {
    return state && (state.on_duty || (state.shift.now && !state.left_early));
  }

  function watchLocation() {
    if (!navigator.geolocation) {
      $("location-status").textContent = t("field.no_location");
      return;
    }
    navigator.geolocation.watchPosition(function (position) {
      here = position;
      showMe();
      if (!sharing()) { return; }
      var c = position.coords;
      if (lastSent && position.timestamp - lastSent.timestamp < FIX_EVERY_MS &&
          metres(lastSent.coords, c) < FIX_MOVED_M) { return; }
      lastSent = position;
      buffered.push({ timestamp: new Date(position.timestamp).toISOString(), coords: {
        latitude: c.latitude, longitude: c.longitude, accuracy: c.accuracy,
        speed: c.speed, heading: c.heading, altitude: c.altitude } });
      if (buffered.length > MAX_BUFFERED) { buffered.shift(); }
      sendFixes();
    }, function () {
      $("location-status").textContent = t("field.location_denied");
    }, { enableHighAccuracy: true, maximumAge: 5000, timeout: 30000 });
  }

  function sendFixes() {
    if (!buffered.length || !socket || socket.readyState !== 1) { return; }
    socket.send(JSON.stringify({ location: buffered }));
    buffered = [];
  }

  function metres(a, b) {
    var dy = (a.latitude - b.latitude) * 111320;
    var dx = (a.longitude - b.longitude) * 111320 * Math.cos(a.latitude * Math.PI / 180);
    return Math.sqrt(dx * dx + dy * dy);
  }

  /* ---- duty ----------------------------------------------------------------------- */

  $("check-in").addEventListener("click", function () { attend("check-in"); });
  $("check-out").addEventListener("click", function () { attend("check-out"); });

  function attend(which) {
    if (!socket || socket.readyState !== 1) {  // attendance is taken now, not replayed later
      notice(t(which === "check-in" ? "field.check_in_offline" : "field.check_out_offline"),
             "error");
      return;
    }
    var button = $(which);
    button.disabled = true;
    $("location-status").textContent = t("field.locating");
    freshPosition(function (position) {
      var c = position.coords;
      fetch("/api/v1/field/" + which, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRF-Token": cfg.csrf,
                   "Idempotency-Key": newKey() },
        body: JSON.stringify({ lat: c.latitude, lon: c.longitude, accuracy: c.accuracy }),
      }).then(function (response) {
        return response.json().then(function (body) {
          button.disabled = false;
          render();  // the location line as the state says (a push may have come first)
          if (!response.ok) { notice(refusal(body), "error"); return; }
          notice(t(which === "check-in" ? "field.checked_in" : "field.checked_out"), "info");
        });
      }).catch(function () {
        button.disabled = false;
        notice(t("field.check_in_offline"), "error");
      });
    }, function () {
      button.disabled = false;
      $("location-status").textContent = t("field.location_denied");
    });
  }

  function freshPosition(found, failed) {  // the watch's last fix if recent, else a new one
    if (here && Date.now() - here.timestamp < 30000) { found(here); return; }
    navigator.geolocation.getCurrentPosition(found, failed, {
      enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 });
  }

  /* ---- tasks ---------------------------------------------------------------------- */

  function pendingStatus(task) {
    var status = task.status;
    queue.forEach(function (action) {
      if (action.task === task.id && action.step) { status = action.step; }
    });
    return status;
  }

  function step(task, target) {
    if (target === "resolved") { openResolve(task); return; }
    enqueue({ task: task.id, step: target, label: t(STEP_LABEL[target]) + " " + task.id,
              url: "/api/v1/incidents/" + encodeURIComponent(task.id) + "/status",
              json: { status: target } });
  }

  function render() {
    if (!state) { return; }
    var duty = $("duty-status");
    duty.textContent = state.on_duty ? t("field.on_duty", { post: state.post }) :
      t("field.off_duty");
    duty.className = "duty-status " + (state.on_duty ? "on" : "off");
    $("shift").textContent = t("field.shift", state.shift);
    $("check-in").hidden = state.on_duty;
    $("check-out").hidden = !state.on_duty;
    if (!sharing()) {
      $("location-status").textContent = t(state.left_early ? "field.not_sharing_checked_out" :
                                           "field.not_sharing");
    } else if (here) {
      $("location-status").textContent = t("field.sharing", {
        metres: Math.round(here.coords.accuracy) });
    }
    var waiting = queue.length;
    $("queue-status").hidden = !waiting;
    $("queue-status").textContent = t("field.queued", { count: waiting });
    var list = $("tasks");
    list.textContent = "";
    state.tasks.forEach(function (task, index) {
      list.appendChild(taskCard(task, index + 1));
    });
    $("task-count").textContent = "(" + state.tasks.length + ")";
    $("no-tasks").hidden = state.tasks.length > 0;
    drawTasks();
  }

  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined && text !== null) { node.textContent = text; }
    return node;
  }

  function taskCard(task, number) {
    var status = pendingStatus(task);
    var queued = status !== task.status;
    var card = el("li", "task priority-" + task.priority);
    card.id = "task-" + task.id;
    card.dataset.status = status;
    var head = el("div", "task-head");
    head.appendChild(el("span", "task-number", String(number)));
    head.appendChild(el("strong", "task-title", task.category_name));
    head.appendChild(el("span", "task-status status-" + status,
                        (T["status." + status] || status) + (queued ? " · " + t("field.pending") : "")));
    card.appendChild(head);
    card.appendChild(el("p", "task-where", [task.address, task.district_name]
      .filter(Boolean).join(" · ") || task.id));
    if (task.description) { card.appendChild(el("p", "task-description", task.description)); }
    if (task.last_note) { card.appendChild(el("p", "task-note", task.last_note)); }
    if (task.reopened_at) {  // a reporter said it was not fixed: why, on the card
      var why = t("field.reopened", { time: clock(task.reopened_at) });
      if (task.reopened_rating) { why += " · " + t("field.reopened_rating", { rating: task.reopened_rating }); }
      if (task.reopened_comment) { why += ": " + task.reopened_comment; }
      card.appendChild(el("p", "task-reopened", why));
    }
    if (task.resolve_due) {
      card.appendChild(el("p", "hint", t("field.due", { time: clock(task.resolve_due) })));
    }
    var buttons = el("div", "task-actions");
    var target = NEXT[status];
    if (target && !(resolving && resolving.id === task.id)) {
      var next = el("button", "big go step", t(STEP_LABEL[target]));
      next.type = "button";
      next.dataset.step = target;
      next.addEventListener("click", function () { step(task, target); });
      buttons.appendChild(next);
    }
    var go = el("a", "navigate", t("field.navigate"));
    go.href = "https://www.google.com/maps/dir/?api=1&destination=" + task.lat + "," + task.lon;
    go.target = "_blank";
    go.rel = "noopener";
    buttons.appendChild(go);
    var show = el("button", "secondary", t("field.show_on_map"));
    show.type = "button";
    show.addEventListener("click", function () { map && map.setView([task.lat, task.lon], 17); });
    buttons.appendChild(show);
    card.appendChild(buttons);
    return card;
  }

  function clock(iso) {  // "14.05", or "24 Nov 14.05" when not today (WIB)
    var zone = { timeZone: "Asia/Jakarta" }, locale = cfg.lang === "id" ? "id-ID" : "en-GB";
    var when = new Date(iso), day = { day: "numeric", month: "short" };
    var time = when.toLocaleTimeString(locale, Object.assign({ hour: "2-digit",
                                                               minute: "2-digit" }, zone));
    var today = new Date().toLocaleDateString(locale, Object.assign({}, day, zone));
    var date = when.toLocaleDateString(locale, Object.assign({}, day, zone));
    return date === today ? time : date + " " + time;
  }

  /* ---- resolving: a note and a photo ---------------------------------------------- */

  function openResolve(task) {
    resolving = task;
    $("resolve-title").textContent = t("field.resolve_title", { task: describe(task) });
    $("resolve-form").hidden = false;
    $("resolve-note").value = "";
    $("resolve-photo").value = "";
    $("resolve-form").scrollIntoView();
    render();
  }

  function closeResolve() {
    resolving = null;
    $("resolve-form").hidden = true;
    render();
  }

  $("resolve-cancel").addEventListener("click", closeResolve);
  $("resolve-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var task = resolving, note = $("resolve-note").value.trim();
    if (!task || !note) { return; }
    var file = $("resolve-photo").files[0];
    $("resolve-submit").disabled = true;
    shrink(file).then(function (photo) {
      $("resolve-submit").disabled = false;
      closeResolve();
      enqueue({ task: task.id, step: "resolved", label: t("field.step_resolve") + " " + task.id,
                url: "/api/v1/incidents/" + encodeURIComponent(task.id) + "/resolve",
                form: { note: note, photo: photo } });
    });
  });

  function shrink(file) {  // (as a data URL: the offline queue keeps it)
    if (!file) { return Promise.resolve(null); }
    return window.liveroomLight.shrunk(file).then(function (canvas) {
      return canvas.toDataURL("image/jpeg", 0.8);
    }).catch(function () {
      return new Promise(function (resolve) {
        var reader = new FileReader();
        reader.onload = function () { resolve(reader.result); };
        reader.readAsDataURL(file);
      });
    });
  }

  /* ---- the small map -------------------------------------------------------------- */

  function showMap() {
    if (!window.L) { $("map").hidden = true; return; }
    var m = cfg.map;
    map = window.liveroomLight.baseMap("map", m, { color: "#0b3d66", weight: 1.2,
                                                   fillColor: "#fff", fillOpacity: 0.55 });
    L.geoJSON(m.posts, { style: { color: "#27ae60", weight: 2, fillOpacity: 0.15 } })
      .addTo(map);
    taskLayer = L.layerGroup().addTo(map);
  }

  function drawTasks() {
    if (!taskLayer) { return; }
    taskLayer.clearLayers();
    var points = [];
    state.tasks.forEach(function (task, index) {
      var point = [task.lat, task.lon];
      points.push(point);
      L.marker(point, { icon: L.divIcon({ className: "task-pin priority-" + task.priority,
                                          html: String(index + 1), iconSize: [30, 30] }) })
        .addTo(taskLayer);
    });
    if (here) { points.push([here.coords.latitude, here.coords.longitude]); }
    var shown = state.tasks.map(function (task) { return task.id; }).join(",");
    if (points.length && shown !== drawTasks.shown) {
      map.fitBounds(points, { maxZoom: 16, padding: [30, 30] });  // new tasks: show them all
      drawTasks.shown = shown;
    }
  }

  function showMe() {
    if (!map || !here) { return; }
    var point = [here.coords.latitude, here.coords.longitude];
    if (meMarker) { meMarker.setLatLng(point); return; }
    meMarker = L.circleMarker(point, { radius: 9, color: "#fff", weight: 3,
                                       fillColor: "#1565c0", fillOpacity: 1 }).addTo(map);
  }

  if ("serviceWorker" in navigator) {  // so that the page opens with no signal too
    navigator.serviceWorker.register("/field/sw.js", { scope: "/field" }).catch(function () {});
  }
  showMap();
  connect();
  watchLocation();
  render();
})();
