/* The officer's phone page opens with no signal: its page, script, styles, map library and
 * basemap are kept here. The page itself is fetched fresh when the network answers and
 * from this cache when it does not; the API and websockets always go to the network. */
"use strict";
var CACHE = "liveroom-field-2";
var SHELL = ["/field", "/assets/field/field.js", "/assets/light/light.js",
             "/assets/field/field.css",
             "/assets/citizen/citizen.css", "/assets/vendor/leaflet/leaflet.js",
             "/assets/vendor/leaflet/leaflet.css", "/lapor/peta.geojson"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("liveroom-field-") === 0 && name !== CACHE;  // (not /siaga's)
    })
      .map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin ||
      url.pathname.indexOf("/api/") === 0) {
    return;
  }
  if (event.request.mode === "navigate") {  // the page: fresh if possible, else the last one
    event.respondWith(fetch(event.request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put("/field", copy); });
      }
      return response;
    }).catch(function () {
      return caches.match("/field");
    }));
    return;
  }
  event.respondWith(fetch(event.request).then(function (response) {  // refresh what we keep
    if (response.ok && SHELL.indexOf(url.pathname) >= 0) {
      var copy = response.clone();
      caches.open(CACHE).then(function (cache) { cache.put(url.pathname, copy); });
    }
    return response;
  }).catch(function () {
    return caches.match(url.pathname);
  }));
});
