/* The supervisor's alert page opens with no signal (its page, script and styles are kept
 * here; the page fresh when the network answers, else the last one kept; websockets always
 * go to the network), and its notifications bring the page back when tapped. */
"use strict";
var CACHE = "liveroom-siaga-1";
var PAGE = "/siaga";
var SHELL = [PAGE, "/assets/siaga/siaga.js", "/assets/siaga/siaga.css",
             "/assets/field/field.css", "/assets/citizen/citizen.css"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(CACHE).then(function (cache) { return cache.addAll(SHELL); })
    .then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (name) {
      return name.indexOf("liveroom-siaga-") === 0 && name !== CACHE;  // (not the field's)
    }).map(function (name) { return caches.delete(name); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var url = new URL(event.request.url);
  if (event.request.method !== "GET" || url.origin !== location.origin ||
      url.pathname.indexOf("/api/") === 0) {
    return;
  }
  if (event.request.mode === "navigate") {
    event.respondWith(fetch(event.request).then(function (response) {
      if (response.ok && !response.redirected) {
        var copy = response.clone();
        caches.open(CACHE).then(function (cache) { cache.put(PAGE, copy); });
      }
      return response;
    }).catch(function () {
      return caches.match(PAGE);
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

self.addEventListener("notificationclick", function (event) {
  event.notification.close();
  var target = (event.notification.data && event.notification.data.url) || PAGE;
  event.waitUntil(self.clients.matchAll({ type: "window", includeUncontrolled: true })
    .then(function (windows) {
      for (var i = 0; i < windows.length; i++) {
        if (new URL(windows[i].url).pathname === PAGE && "focus" in windows[i]) {
          return windows[i].focus();
        }
      }
      return self.clients.openWindow(target);
    }));
});
