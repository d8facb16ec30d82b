/* The unit board's clocks (`layouts/units.py`). Every second each tile's time in status
 * counts on from its `data-since`, against the server's time the board was pushed with
 * (`data-now`: whatever this machine's clock says), and the tile turns amber, then red, past
 * its status's thresholds (`data-thresholds`: the city's `board_minutes`). The server pushes
 * the tiles only when units change; nothing here asks it anything. */
(function () {
  var boards = new WeakMap();  // a pushed board -> {offset from this clock, thresholds}
  var COLOURS = ["normal", "amber", "red"];

  function board(body) {
    var known = boards.get(body);
    if (!known) {
      var thresholds = {};
      try { thresholds = JSON.parse(body.dataset.thresholds || "{}"); } catch (e) { /* none */ }
      known = {offset: (Number(body.dataset.now) || Date.now()) - Date.now(),
               thresholds: thresholds};
      boards.set(body, known);
    }
    return known;
  }

  function pad(n) { return n < 10 ? "0" + n : String(n); }

  /* mm:ss under an hour, h:mm from one on (as the server writes it). */
  function elapsed(seconds) {
    if (seconds < 3600) { return pad(Math.floor(seconds / 60)) + ":" + pad(seconds % 60); }
    return Math.floor(seconds / 3600) + ":" + pad(Math.floor(seconds / 60) % 60);
  }

  function colour(thresholds, status, minutes) {
    var limits = thresholds[status];
    if (!limits) { return "normal"; }
    return minutes >= limits[1] ? "red" : minutes >= limits[0] ? "amber" : "normal";
  }

  function tick() {
    document.querySelectorAll(".unit-board-body").forEach(function (body) {
      var known = board(body), now = Date.now() + known.offset;
      body.querySelectorAll(".unit-tile[data-since]").forEach(function (tile) {
        var since = Number(tile.dataset.since);
        if (!since) { return; }
        var seconds = Math.max(0, Math.floor((now - since) / 1000));
        var timer = tile.querySelector(".unit-timer");
        if (timer) {
          var text = elapsed(seconds);
          if (timer.textContent !== text) { timer.textContent = text; }
          timer.classList.toggle("in-hours", seconds >= 3600);
        }
        var shade = colour(known.thresholds, tile.dataset.status, seconds / 60);
        COLOURS.forEach(function (name) {
          tile.classList.toggle("colour-" + name, name === shade);
        });
      });
    });
  }

  setInterval(tick, 1000);
})();
