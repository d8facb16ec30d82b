/* The call-taker's desk, kept to the keyboard while someone talks: F2 opens the form with
 * the category field focused, Escape closes it, Ctrl+Enter saves (Ctrl+Shift+Enter saves
 * and assigns); a click on the map (where the caller is) hands the typing to the
 * description. */
(function () {
  function focusIn(id) {
    var box = document.getElementById(id);
    if (!box) { return; }
    var target = box.matches("input, textarea, button, [tabindex]") ? box :
      box.querySelector("input, textarea, button, [tabindex]:not([tabindex='-1'])");
    if (target) { target.focus(); }
  }

  function click(id) {
    var button = document.getElementById(id);
    if (button && !button.hidden && !button.disabled) { button.click(); return true; }
    return false;
  }

  /* the form arrives from the server: the category field has the focus once it is there */
  function focusWhenOpen(tries) {
    if (document.getElementById("desk-category")) { focusIn("desk-category"); return; }
    if (tries > 0) { setTimeout(function () { focusWhenOpen(tries - 1); }, 25); }
  }

  document.addEventListener("click", function (event) {
    if (event.target.closest && event.target.closest("#desk-open")) { focusWhenOpen(200); }
  });

  // a click on the map places the report: the typing goes on in the description
  document.addEventListener("click", function (event) {
    var desk = document.getElementById("desk");
    var text = document.getElementById("desk-description");
    if (desk && !desk.hidden && text && !text.value && event.target.closest &&
        event.target.closest("#map") && !event.target.closest(".leaflet-control")) {
      setTimeout(function () { text.focus(); }, 0);
    }
  });

  document.addEventListener("keydown", function (event) {
    var desk = document.getElementById("desk");
    if (!desk) { return; }
    var inside = desk.contains(event.target);
    if (event.key === "F2") {
      event.preventDefault();
      if (desk.hidden) { click("desk-open"); } else { focusIn("desk-category"); }
    } else if (inside && event.key === "Escape" && !event.defaultPrevented &&
               !event.target.closest("[aria-expanded='true']")) {
      click("desk-close");
    } else if (inside && event.key === "Enter" && (event.ctrlKey || event.metaKey)) {
      event.preventDefault();
      click(event.shiftKey ? "desk-save-assign" : "desk-save");
    }
  });
})();
