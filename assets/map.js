/* How the wall screen's map draws its points (dash-leaflet `pointToLayer`). Incidents are
 * discs coloured by priority with their category's icon, solid while nobody holds them,
 * with the incident's id and status in their class;
 * officers are canvas circles in their agency's colour, hollow when their fix is stale and
 * ringed in white while they hold a task. */
window.liveroom = Object.assign({}, window.liveroom, {
  map: {
    /* Text for a tooltip, as text: Leaflet takes a string as HTML, and names come from
     * people (an officer's display name) and from city packs. */
    text: function (words) {
      var node = document.createElement("span");
      node.textContent = String(words);
      return node;
    },
    incident: function (feature, latlng) {
      var lr = window.liveroom.map;
      var p = feature.properties;
      var marker = L.marker(latlng, {icon: lr.incidentIcon(p), riseOnHover: true,
                                     zIndexOffset: lr.incidentRise(p)})
        .bindTooltip(lr.incidentLabel(p));
      lr.incidentMarkers[p.id] = marker;  // changed in place by `assets/live.js`
      return marker;
    },
    incidentIcon: function (p) {
      var waiting = p.status === "received" || p.status === "triaged";
      var size = p.priority === 1 ? 34 : 28;
      var plain = /^[a-z0-9-]+$/.test(p.icon || "");  // a pack's icon name, nothing else
      var icon = plain ? '<span class="incident-icon" style="-webkit-mask-image: url(' +
        "'/assets/vendor/tabler-icons/" + p.icon + ".svg'); mask-image: url('" +
        "/assets/vendor/tabler-icons/" + p.icon + ".svg')\"></span>" : "";
      return L.divIcon({
        html: icon, iconSize: L.point(size, size),
        className: "incident-marker incident-" + p.id + " status-" + p.status +
          " priority-" + p.priority + (waiting ? " waiting" : ""),
      });
    },
    incidentRise: function (p) { return (5 - p.priority) * 100; },
    incidentLabel: function (p) {
      return window.liveroom.map.text(p.id + " · " + p.category);
    },
    incidentMarkers: {},
    officer: function (feature, latlng) {
      var lr = window.liveroom.map;
      var p = feature.properties;
      var marker = L.circleMarker(latlng, lr.officerStyle(p)).bindTooltip(lr.officerLabel(p));
      lr.officerMarkers[p.id] = marker;  // moved in place by `assets/live.js`
      return marker;
    },
    officerStyle: function (p) {
      return {radius: p.tasks ? 8 : 6, weight: p.tasks ? 3 : 2,
              color: p.tasks ? "#ffffff" : p.colour, fillColor: p.colour,
              fillOpacity: p.presence === "online" ? 0.9 : 0.15};
    },
    officerLabel: function (p) {
      return window.liveroom.map.text((p.name || p.id) + (p.tasks ? " · " + p.tasks : ""));
    },
    officerMarkers: {},
  },
});
/* A cluster of points when zoomed out: a disc with how many it holds. */
window.liveroom.map.cluster = function (feature, latlng) {
  var count = feature.properties.point_count_abbreviated;
  var size = 36 + Math.min(24, 4 * String(count).length);
  return L.marker(latlng, {icon: L.divIcon({
    html: window.liveroom.map.text(count), className: "map-cluster",
    iconSize: L.point(size, size)})});
};
/* Each district's name on the basemap, always shown: there may be no tiles to read. */
window.liveroom.map.district = function (feature, layer) {
  layer.bindTooltip(window.liveroom.map.text(feature.properties.name), {
    permanent: true, direction: "center", className: "district-label"});
};
/* The KPI page's heat map: one GeoJSON layer of grid cells (`layouts/kpi.py` works out each
 * cell's size and strength), drawn on the map's canvas with its count as a tooltip. */
window.liveroom.map.heat = function (feature, latlng) {
  var p = feature.properties;
  return L.circleMarker(latlng, {radius: p.radius, color: "#ff7a45", fillColor: "#ff7a45",
                                 weight: 0, fillOpacity: p.opacity})
    .bindTooltip(window.liveroom.map.text(p.count));
};
