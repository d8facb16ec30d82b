/* The citizen's pages: the offline map (pick a point, or show one), the category's
 * questions, and a photo shrunk on the phone before it is sent. Without this script
 * the form still works: the coordinates can be typed in. */
(function () {
  "use strict";
  var config = document.getElementById("map-config");
  var mapBox = document.getElementById("map");
  if (config && mapBox && window.L) {
    showMap(JSON.parse(config.textContent), mapBox);
  }
  var form = document.getElementById("report-form");
  if (form) {
    followCategory(form);
    shrinkPhotoOnSubmit(form);
  }

  function showMap(cfg, box) {
    var map = window.liveroomLight.baseMap(box, cfg, {
      color: "#0b3d66", weight: 1.5, fillColor: "#ffffff", fillOpacity: 0.55,
    }, function (feature, layer) {
      var name = document.createElement("span");  // a name, as text (not HTML)
      name.textContent = feature.properties.name;
      layer.bindTooltip(name, { sticky: true });
    });
    if (box.dataset.mode === "view") {
      L.circleMarker(cfg.point, { radius: 10, color: "#c0392b", weight: 3, fillOpacity: 0.8 })
        .addTo(map);
      return;
    }
    pickPoint(map);
  }

  function pickPoint(map) {
    var lat = document.getElementById("lat");
    var lon = document.getElementById("lon");
    var status = document.getElementById("location-status");
    var button = document.getElementById("locate");
    var marker = null;

    function place(latlng, zoom) {
      lat.value = latlng.lat.toFixed(6);
      lon.value = latlng.lng.toFixed(6);
      if (marker) {
        marker.setLatLng(latlng);
      } else {
        marker = L.marker(latlng, { draggable: true }).addTo(map);
        marker.on("dragend", function () { place(marker.getLatLng()); });
      }
      if (zoom) { map.setView(latlng, zoom); }
      status.textContent = button.dataset.set;
    }

    map.on("click", function (e) { place(e.latlng); });
    if (lat.value && lon.value && !isNaN(+lat.value) && !isNaN(+lon.value)) {
      place(L.latLng(+lat.value, +lon.value), 16);
    }
    [lat, lon].forEach(function (input) {
      input.addEventListener("change", function () {
        if (!isNaN(parseFloat(lat.value)) && !isNaN(parseFloat(lon.value))) {
          place(L.latLng(parseFloat(lat.value), parseFloat(lon.value)), 16);
        }
      });
    });
    if (!navigator.geolocation) { button.hidden = true; return; }
    button.addEventListener("click", function () {
      status.textContent = button.dataset.locating;
      navigator.geolocation.getCurrentPosition(function (position) {
        place(L.latLng(position.coords.latitude, position.coords.longitude), 17);
      }, function () {
        status.textContent = button.dataset.denied;
      }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
    });
  }

  function followCategory(form) {
    var select = document.getElementById("category");
    function show() {
      form.querySelectorAll("fieldset.questions").forEach(function (fieldset) {
        var active = fieldset.dataset.category === select.value;
        fieldset.hidden = !active;
        fieldset.querySelectorAll("select, input").forEach(function (input) {
          input.disabled = !active;  // hidden questions are not sent
          input.required = active && input.hasAttribute("data-required");
        });
      });
    }
    select.addEventListener("change", show);
    show();
  }

  function shrinkPhotoOnSubmit(form) {
    var input = document.getElementById("photo");
    var submit = document.getElementById("submit");
    var ready = false;
    form.addEventListener("submit", function (event) {
      var file = input.files && input.files[0];
      if (ready || !file || file.size < 400000 || !window.DataTransfer || !window.createImageBitmap) {
        submit.disabled = true;
        submit.textContent = form.dataset.sending;
        return;
      }
      event.preventDefault();  // shrink first: a phone photo is megabytes on a slow link
      window.liveroomLight.shrunk(file).then(function (canvas) {
        canvas.toBlob(function (blob) {
          if (blob && blob.size < file.size) {
            var files = new DataTransfer();
            files.items.add(new File([blob], "foto.jpg", { type: "image/jpeg" }));
            input.files = files.files;
          }
          ready = true;
          form.requestSubmit ? form.requestSubmit(submit) : form.submit();
        }, "image/jpeg", 0.85);
      }).catch(function () {
        ready = true;  // send the original; the server checks it
        form.requestSubmit ? form.requestSubmit(submit) : form.submit();
      });
    });
  }
})();
