/* The wall screen's live side. The server pushes only what changed: `applyChanges` merges
 * changed map points into the layers (a null point leaves the map; `reset` replaces all)
 * and keeps the last change's version, from which a reconnecting screen resumes. The
 * badge reads LIVE while pushes or heartbeats arrive and RECONNECTING when they stop; if
 * they stay away while the server answers, the page reloads (the browser's socket gives up
 * after a few tries). The clock shows the city's time, ticking here. */
(function () {
  var lr = {};  // this script's own state
  var STALE_MS = 12000, RELOAD_MS = 60000;

  function merge(current, changed, reset) {
    var byId = {};
    if (!reset && current && current.features) {
      current.features.forEach(function (f) { byId[f.properties.id] = f; });
    }
    Object.keys(changed || {}).forEach(function (id) {
      if (changed[id]) { byId[id] = changed[id]; } else { delete byId[id]; }
    });
    return {type: "FeatureCollection", features: Object.values(byId)};
  }

  function heard() { lr.lastHeard = Date.now(); }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    liveroom: {
      applyChanges: function (pushed, incidents, officers) {
        var none = window.dash_clientside.no_update;
        if (!pushed) { return [none, none, none]; }
        var change = JSON.parse(pushed);
        heard();
        var touched = function (points) { return change.reset || Object.keys(points).length; };
        return [
          touched(change.incidents) ? merge(incidents, change.incidents, change.reset) : none,
          touched(change.officers) ? merge(officers, change.officers, change.reset) : none,
          change.version,
        ];
      },
      showFigures: function (pushed) {
        heard();
        return JSON.parse(pushed);  // the elements' children, in the callback's order
      },
      heard: function (beat) {
        heard();
        return new Date(beat * 1000).toISOString();
      },
    },
  });

  var clocks = {};
  function clockText(zone) {
    clocks[zone] = clocks[zone] || new Intl.DateTimeFormat("en-GB", {
      timeZone: zone, hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23"});
    return clocks[zone].format(new Date());
  }

  function watch() {
    document.querySelectorAll("[data-zone]").forEach(function (el) {
      el.textContent = clockText(el.dataset.zone);
    });
    var badge = document.getElementById("live-state");
    if (!badge) { lr.lastHeard = null; return; }
    lr.lastHeard = lr.lastHeard || Date.now();
    var silent = Date.now() - lr.lastHeard;
    var live = silent < STALE_MS;
    badge.textContent = live ? badge.dataset.live : badge.dataset.reconnecting;
    badge.classList.toggle("reconnecting", !live);
    if (silent > RELOAD_MS && !lr.probing) {
      lr.probing = true;
      fetch("/healthz", {cache: "no-store"}).then(function (response) {
        if (response.ok) { window.location.reload(); }
      }).catch(function () {}).then(function () { lr.probing = false; });
    }
  }
  setInterval(watch, 1000);
})();
