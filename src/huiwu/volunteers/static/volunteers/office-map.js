/* The office's maps: the volunteers on duty at their last positions (refreshed with the list
 * by htmx), or one volunteer's trajectory. The data comes in the page as JSON. */
(function () {
  "use strict";

  var element = document.querySelector("[data-volunteer-map]");
  if (!element) return;
  var map = window.HuiwuVolunteerMap.create(element);

  function read(id) {
    var script = document.getElementById(id);
    return script ? JSON.parse(script.textContent) : null;
  }

  var trajectory = read("trajectory");
  if (trajectory) {
    map.showTrack(trajectory);
    return;
  }
  map.showPeople(read("people") || []);
  document.body.addEventListener("htmx:afterSettle", function () {
    map.showPeople(read("people") || []);
  });
})();
