/* How the wall screen's map draws its points (dash-leaflet `pointToLayer`). Incidents are
 * SVG circles coloured by priority, with the incident's id and status in their class;
 * officers are canvas circles in their agency's colour, hollow when their fix is stale. */
window.liveroom = Object.assign({}, window.liveroom, {
  map: {
    priorityColour: {1: "#ff4d4f", 2: "#ff9f1a", 3: "#ffd666", 4: "#7fd1ff"},
    incident: function (feature, latlng) {
      var p = feature.properties;
      var lr = window.liveroom.map;
      lr.svg = lr.svg || L.svg({padding: 0.5});
      return L.circleMarker(latlng, {
        renderer: lr.svg, radius: p.priority === 1 ? 11 : 8, weight: 2, color: "#0b1220",
        fillColor: lr.priorityColour[p.priority] || "#7fd1ff",
        fillOpacity: p.status === "received" || p.status === "triaged" ? 0.95 : 0.5,
        className: "incident-marker incident-" + p.id + " status-" + p.status,
      }).bindTooltip(p.id + " · " + p.category);
    },
    officer: function (feature, latlng) {
      var p = feature.properties;
      return L.circleMarker(latlng, {
        radius: 6, weight: 2, color: p.colour,
        fillColor: p.colour, fillOpacity: p.presence === "online" ? 0.9 : 0.15,
      }).bindTooltip(p.name || p.id);
    },
  },
});
