/* The wall screen's live side. The server pushes only what changed: `applyChanges` changes
 * incidents' markers in place and moves officers' markers where they stand, handing their
 * layers new data only when points come or go (a null point leaves the map; `reset`
 * replaces all)
 * and keeps the last change's version, from which a reconnecting screen resumes. The
 * badge reads LIVE while pushes or heartbeats arrive and RECONNECTING when they stop; if
 * they stay away while the server answers, the page reloads (the browser's socket gives up
 * after a few tries). The clock shows the city's time, ticking here. */
(function () {
  var lr = {};  // this script's own state
  var STALE_MS = 12000, RELOAD_MS = 60000;
  //: officers' moves are made on the markers themselves; the layer (and its clusters) is
  //: rebuilt only when officers come or go, or this long after the last rebuild if some
  //: officer has no marker on the map (inside a cluster, or out of view since a drag)
  var REBUILD_OFFICERS_MS = 10000;
  //: incidents changed in place are handed to their layer this long after the last change
  //: (so a zoom or a cluster redraws them as they are now)
  var SETTLE_INCIDENTS_MS = 1500;

  function byId(collection) {
    var found = {};
    ((collection && collection.features) || []).forEach(function (f) {
      found[f.properties.id] = f;
    });
    return found;
  }

  function heard() { lr.lastHeard = Date.now(); }

  /* Officers who only moved (or changed presence or tasks) are moved on the map as they
   * are; the layer is handed new data when someone comes or goes, now and then while some
   * are not drawn (so its clusters follow), or after a reset. */
  function moveOfficers(change, current) {
    var map = window.liveroom.map;
    if (change.reset || !lr.officers) { lr.officers = change.reset ? {} : byId(current); }
    var rebuild = change.reset || Date.now() - (lr.rebuilt || 0) > REBUILD_OFFICERS_MS;
    var cameOrWent = false;
    Object.keys(change.officers).forEach(function (id) {
      var feature = change.officers[id];
      if (!feature) {
        cameOrWent = cameOrWent || id in lr.officers;
        delete lr.officers[id];
        return;
      }
      var before = lr.officers[id];
      cameOrWent = cameOrWent || !before;
      lr.officers[id] = feature;
      var marker = map.officerMarkers[id];
      if (marker && marker._map) {  // (most changes are moves: only what changed is redrawn)
        var c = feature.geometry.coordinates, p = feature.properties;
        var was = before ? before.properties : {};
        marker.setLatLng([c[1], c[0]]);
        if (p.tasks !== was.tasks || p.presence !== was.presence || p.colour !== was.colour) {
          marker.setStyle(map.officerStyle(p));
          marker.setRadius(map.officerStyle(p).radius);
        }
        if (p.tasks !== was.tasks || p.name !== was.name) {
          marker.setTooltipContent(map.officerLabel(p));
        }
      }
    });
    rebuild = rebuild || cameOrWent;
    if (!rebuild) { return window.dash_clientside.no_update; }
    if (!change.reset && !cameOrWent && Object.keys(lr.officers).every(function (id) {
      return map.officerMarkers[id] && map.officerMarkers[id]._map;
    })) {  // every officer is drawn where they are: no cluster or unseen marker to refresh
      lr.rebuilt = Date.now();
      return window.dash_clientside.no_update;
    }
    Object.keys(map.officerMarkers).forEach(function (id) {  // those gone keep no marker
      if (!(id in lr.officers)) { delete map.officerMarkers[id]; }
    });
    lr.rebuilt = Date.now();
    return {type: "FeatureCollection", features: Object.values(lr.officers)};
  }

  /* Incidents whose marker is on the map are changed in place (position, icon, tooltip): a
   * new priority or status shows at once, without rebuilding the layer and its clusters. The
   * layer is handed new data when one comes or goes, when a changed one has no marker on the
   * map (inside a cluster), after a reset, and quietly once changes settle. */
  function changeIncidents(change, current) {
    var map = window.liveroom.map;
    if (change.reset || !lr.incidents) { lr.incidents = change.reset ? {} : byId(current); }
    var rebuild = change.reset;
    Object.keys(change.incidents).forEach(function (id) {
      var feature = change.incidents[id];
      if (!feature) { rebuild = rebuild || id in lr.incidents; delete lr.incidents[id]; return; }
      var marker = map.incidentMarkers[id];
      rebuild = rebuild || !(id in lr.incidents) || !(marker && marker._map);
      lr.incidents[id] = feature;
      if (marker && marker._map) {
        var c = feature.geometry.coordinates, p = feature.properties;
        marker.setLatLng([c[1], c[0]]);
        marker.setIcon(map.incidentIcon(p));
        marker.setZIndexOffset(map.incidentRise(p));
        marker.setTooltipContent(map.incidentLabel(p));
      }
    });
    clearTimeout(lr.settle);
    if (rebuild) { return incidentLayer(); }
    lr.settle = setTimeout(function () {
      window.dash_clientside.set_props("incidents-layer", {data: incidentLayer()});
    }, SETTLE_INCIDENTS_MS);
    return window.dash_clientside.no_update;
  }

  function incidentLayer() {
    var map = window.liveroom.map;
    Object.keys(map.incidentMarkers).forEach(function (id) {  // those gone keep no marker
      if (!(id in lr.incidents)) { delete map.incidentMarkers[id]; }
    });
    return {type: "FeatureCollection", features: Object.values(lr.incidents)};
  }

  window.dash_clientside = Object.assign({}, window.dash_clientside, {
    liveroom: {
      applyChanges: function (pushed, incidents, officers) {
        var none = window.dash_clientside.no_update;
        if (!pushed) { return [none, none, none]; }
        var change = JSON.parse(pushed);
        var page = document.getElementById("live-state");
        if (page !== lr.page) {  // a new page
          lr.page = page; lr.officers = null; lr.incidents = null; clearTimeout(lr.settle);
        }
        heard();
        var touched = function (points) { return change.reset || Object.keys(points).length; };
        return [
          touched(change.incidents) ? changeIncidents(change, incidents) : none,
          touched(change.officers) ? moveOfficers(change, officers) : none,
          change.version,
        ];
      },
      showFigures: function (pushed) {
        heard();
        return JSON.parse(pushed).map(function (part) {  // the parts' HTML, in the
          return part === null ? window.dash_clientside.no_update : part;  // callback's
        });  // order; null: as shown
      },
      heard: function (beat) {
        heard();
        return new Date(beat * 1000).toISOString();
      },
      /* A pushed change naming the incident open in the panel (its tasks are drawn again,
       * `callbacks/runcard.py`); read as text: a stray match only draws them once more. */
      openTouched: function (pushed, selected) {
        if (!pushed || !selected || !document.getElementById("tasks")) {
          return window.dash_clientside.no_update;
        }
        return pushed.indexOf('"' + selected + '"') >= 0 || pushed.indexOf('"reset":true') >= 0
          ? Date.now() : window.dash_clientside.no_update;
      },
    },
  });

  /* A click on a queued (or stranded) incident: the wall's parts are HTML, so the click is
   * told to Dash here, with the moment (the same incident may be chosen again). */
  document.addEventListener("click", function (event) {
    var item = event.target.closest && event.target.closest(".queue-item[data-incident]");
    if (item && document.getElementById("live-state")) {  // (the wall screen's badge)
      window.dash_clientside.set_props("queue-choice",
                                       {data: {id: item.dataset.incident, at: Date.now()}});
    }
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
