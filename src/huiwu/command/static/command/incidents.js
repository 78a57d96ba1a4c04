/* The incidents pages of command staff: the list, one incident, a new one, the broadcasts.
 *
 * - New incident: a click on the map puts the point in the latitude/longitude fields (and a
 *   marker, which can be dragged); typed coordinates move the marker.
 * - One incident: its point on the map; the answer deadlines of open offers count down.
 * - The list and one incident follow ws/command/ (live.js): a change of an incident (of this
 *   one, on its page) fetches the page again from config.page (the browser's address may be
 *   that of a refused form, which takes only POST) and swaps its live parts
 *   ([data-live-region] with an id), so that what is shown is always what the server renders;
 *   forms being typed into stay outside those parts. After a reconnect the snapshot triggers
 *   the same refresh. If the fetch fails, a "changed — reload" hint appears instead.
 * - A refused status change: its sentence is brought into view (the form is far down).
 * - Broadcasts: only the field the audience needs is shown; the text counts its characters.
 */
(function () {
  "use strict";

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_match, name) {
      return values[name];
    });
  }

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  var config = readJson("incidents-live") || {};
  var texts = config.texts || {};
  var mapElement = document.querySelector("[data-volunteer-map]");

  var refusal = document.getElementById("status-errors");
  if (refusal) refusal.scrollIntoView({ block: "center" });

  // --- A new incident: the point from the map --------------------------------------------
  var form = document.querySelector("[data-incident-form]");
  if (form && mapElement && window.HuiwuVolunteerMap) {
    var handle = window.HuiwuVolunteerMap.create(mapElement);
    var latField = form.elements.lat;
    var lonField = form.elements.lon;
    var marker = null;

    var put = function (latlng) {
      if (!marker) {
        marker = L.marker(latlng, { draggable: true, keyboard: false }).addTo(handle.map);
        marker.on("dragend", function () {
          write(marker.getLatLng());
        });
      } else {
        marker.setLatLng(latlng);
      }
    };
    var write = function (latlng) {
      latField.value = latlng.lat.toFixed(6);
      lonField.value = latlng.lng.toFixed(6);
    };
    var typed = function () {
      var lat = parseFloat(latField.value);
      var lon = parseFloat(lonField.value);
      if (isFinite(lat) && isFinite(lon) && Math.abs(lat) <= 90 && Math.abs(lon) <= 180) {
        put([lat, lon]);
      }
    };
    handle.map.on("click", function (event) {
      write(event.latlng);
      put(event.latlng);
    });
    latField.addEventListener("change", typed);
    lonField.addEventListener("change", typed);
    typed();
  }

  // --- One incident: its point ----------------------------------------------------------
  var point = readJson("incident-point");
  if (point && mapElement && !form && window.HuiwuVolunteerMap) {
    window.HuiwuVolunteerMap.create(mapElement).mark(point);
  }

  // --- Deadlines counting down ---------------------------------------------------------
  var serverOffset = 0;
  if (config.now) serverOffset = Date.parse(config.now) - Date.now();
  function tickCountdowns() {
    document.querySelectorAll("[data-countdown]").forEach(function (element) {
      var due = Date.parse(element.dataset.countdown);
      if (!due) return;
      var left = Math.round((due - (Date.now() + serverOffset)) / 1000);
      element.classList.toggle("overdue", left <= 0);
      element.textContent =
        left > 0 ? format(texts.due || "%(seconds)s s", { seconds: left }) : texts.overdue || "";
    });
  }
  if (document.querySelector("[data-countdown]") || config.incident) {
    setInterval(tickCountdowns, 1000);
  }

  // --- Live: the parts of the page that a change of an incident touches -----------------
  var hint = document.querySelector("[data-live-hint]");
  var refreshing = null;
  var again = false;

  function swapRegions(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html");
    document.querySelectorAll("[data-live-region][id]").forEach(function (region) {
      var replacement = fresh.getElementById(region.id);
      if (replacement) region.replaceWith(document.importNode(replacement, true));
    });
    tickCountdowns();
  }

  function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = fetch(config.page, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        swapRegions(html);
        if (hint) hint.hidden = true;
        document.body.dataset.liveRefreshed = String(Date.now());
      })
      .catch(function () {
        if (hint) hint.hidden = false;
      })
      .then(function () {
        refreshing = null;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  function concerns(kind, data) {
    if (kind !== "incident" && kind !== "alert") return false;
    if (!config.incident) return true;
    return data && (data.id === config.incident || data.incident === config.incident);
  }

  if (config.socket && window.HuiwuLive && document.querySelector("[data-live-region]")) {
    window.HuiwuLive.connect(config.socket, {
      heartbeatSeconds: config.heartbeat_seconds,
      statusElement: document.querySelector("[data-connection]"),
      texts: texts,
      onSnapshot: function (_state, info) {
        // The page was rendered fresh; only a resync may have missed a change.
        if (info.resync) refresh();
      },
      onEvent: function (kind, data) {
        if (concerns(kind, data)) refresh();
      },
    });
  }

  // --- Broadcasts: the audience's field, the characters left ----------------------------
  var broadcastForm = document.querySelector("[data-broadcast-form]");
  if (broadcastForm) {
    var audience = broadcastForm.elements.audience;
    var showAudience = function () {
      broadcastForm.querySelectorAll("[data-audience-field]").forEach(function (field) {
        field.hidden = field.dataset.audienceField !== audience.value;
      });
    };
    audience.addEventListener("change", showAudience);
    showAudience();

    var text = broadcastForm.elements.text;
    var counter = broadcastForm.querySelector("[data-counter]");
    var max = Number(counter.dataset.max) || 500;
    var count = function () {
      counter.textContent = text.value.length + " / " + max;
      counter.classList.toggle("counter-full", text.value.length >= max);
    };
    text.addEventListener("input", count);
    count();
  }
})();
