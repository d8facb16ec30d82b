/* What the light pages (/lapor, /field) share: the map on the offline basemap, and the
 * photo shrunk on the phone before it goes over a slow link. */
"use strict";
window.liveroomLight = (function () {
  var MAX_PX = 1600;  // a phone photo is megabytes; 1600 px on its long side is plenty

  function shrunk(file) {  // a canvas holding the photo at most MAX_PX (a Promise)
    return createImageBitmap(file).then(function (bitmap) {
      var scale = Math.min(1, MAX_PX / Math.max(bitmap.width, bitmap.height));
      var canvas = document.createElement("canvas");
      canvas.width = Math.round(bitmap.width * scale);
      canvas.height = Math.round(bitmap.height * scale);
      canvas.getContext("2d").drawImage(bitmap, 0, 0, canvas.width, canvas.height);
      return canvas;
    });
  }

  function baseMap(box, cfg, style, eachFeature) {  // no tile server needed: the basemap
    var map = L.map(box, { preferCanvas: true, minZoom: 9, maxZoom: 19 });
    map.attributionControl.setPrefix("Leaflet");
    if (cfg.tiles) { L.tileLayer(cfg.tiles, { maxZoom: 19 }).addTo(map); }
    fetch(cfg.basemap).then(function (r) { return r.json(); }).then(function (data) {
      L.geoJSON(data, { style: style, onEachFeature: eachFeature }).addTo(map).bringToBack();
    }).catch(function () {});
    if (cfg.bounds) { map.fitBounds(cfg.bounds); } else { map.setView(cfg.centre, cfg.zoom); }
    return map;
  }

  return { shrunk: shrunk, baseMap: baseMap };
})();
