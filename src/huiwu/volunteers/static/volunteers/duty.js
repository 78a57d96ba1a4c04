/* The volunteer's phone page: sign in and out where the phone is, and the "on duty" mode.
 *
 * Sign-in and sign-out are plain forms; this script asks the phone for its position first and
 * puts it in the form's hidden fields. While the volunteer is signed in (and agreed to location
 * on duty), the page sends the phone's latest position every N seconds, in the foreground only,
 * under the "you are being located" banner. Signed out, the script asks for no position at all.
 */
(function () {
  "use strict";

  var texts = JSON.parse(document.getElementById("duty-texts").textContent);
  var GEO_OPTIONS = { enableHighAccuracy: true, timeout: 20000, maximumAge: 10000 };

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_match, name) {
      return values[name];
    });
  }

  function geoError(error) {
    if (!navigator.geolocation) return texts.unsupported;
    if (error && error.code === 1) return texts.denied;
    return texts.unavailable;
  }

  function csrfToken() {
    var input = document.querySelector("[name=csrfmiddlewaretoken]");
    return input ? input.value : "";
  }

  // --- Sign in / sign out: the position goes with the form -----------------------------
  function locateThenSubmit(form) {
    var status = form.querySelector("[data-locate-status]");
    var button = form.querySelector("button[type=submit]");
    form.addEventListener("submit", function (event) {
      if (form.dataset.located === "true") return;
      event.preventDefault();
      if (!navigator.geolocation) {
        status.textContent = geoError(null);
        return;
      }
      button.disabled = true;
      status.textContent = texts.locating;
      navigator.geolocation.getCurrentPosition(
        function (position) {
          form.elements.latitude.value = position.coords.latitude.toFixed(7);
          form.elements.longitude.value = position.coords.longitude.toFixed(7);
          form.elements.accuracy.value = Math.round(position.coords.accuracy || 0);
          form.dataset.located = "true";
          form.submit();
        },
        function (error) {
          button.disabled = false;
          status.textContent = geoError(error);
        },
        GEO_OPTIONS
      );
    });
  }
  document.querySelectorAll("form[data-locate]").forEach(locateThenSubmit);

  // --- My track on the map ----------------------------------------------------------------
  var mapElement = document.querySelector("[data-volunteer-map]");
  var map = mapElement ? window.HuiwuVolunteerMap.create(mapElement) : null;
  var trackData = document.getElementById("my-track");
  if (map && trackData) {
    var points = JSON.parse(trackData.textContent);
    if (points.length) map.showTrack(points);
  }

  // --- On duty: a position every N seconds, in the foreground --------------------------
  var duty = document.querySelector("[data-on-duty]");
  if (!duty) return;
  var status = duty.querySelector("[data-ping-status]");
  var every = Math.max(1, Number(duty.dataset.pingSeconds) || 30) * 1000;
  var latest = null;
  var sentAt = 0;
  var sent = Number(duty.dataset.sent) || 0;
  var stopped = false;
  var refusals = 0;
  var timer = null;

  function say(text, problem) {
    status.textContent = text;
    status.classList.toggle("ping-problem", Boolean(problem));
  }

  function stop(text) {
    stopped = true;
    clearInterval(timer);
    duty.dataset.state = "stopped";
    say(text, true);
  }

  function send() {
    if (stopped || !latest) return;
    if (latest.at <= sentAt) return; // nothing new since the last one
    var fix = latest;
    sentAt = fix.at;
    var body = {
      lat: fix.lat,
      lon: fix.lon,
      accuracy_m: fix.accuracy,
      at: new Date(fix.at).toISOString(),
    };
    fetch(duty.dataset.positionsUrl, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(body),
    })
      .then(function (response) {
        return response.json().then(function (answer) {
          return { ok: response.ok, status: response.status, answer: answer };
        });
      })
      .then(function (result) {
        if (!result.ok) {
          var detail = (result.answer && result.answer.detail) || texts.refused;
          // Signed out elsewhere, the shift closed, consent withdrawn: after a few refusals
          // in a row, sending more would only be refused again.
          refusals += 1;
          if (result.status === 401 || result.status === 403 || refusals >= 3) stop(detail);
          else say(detail, true);
          return;
        }
        refusals = 0;
        sent += 1;
        duty.dataset.sent = String(sent);
        if (map) map.addToTrack({ lat: body.lat, lon: body.lon, at: body.at, accuracy_m: body.accuracy_m });
        say(format(texts.sent, { time: map ? map.clock.time(body.at) : body.at, count: sent }));
      })
      .catch(function () {
        sentAt = 0; // try the same fix again at the next tick
        say(texts.offline, true);
      });
  }

  // Each tick asks for a fresh fix: a phone standing still reports no change to a watch. A
  // fresh fix (maximumAge 0) is no older than the question, whatever time the phone stamps
  // on it (some repeat the stamp of their last fix while they stand still).
  function tick() {
    if (stopped || document.visibilityState === "hidden") return;
    var asked = Date.now();
    navigator.geolocation.getCurrentPosition(
      function (position) {
        latest = {
          lat: position.coords.latitude,
          lon: position.coords.longitude,
          accuracy: position.coords.accuracy,
          at: Math.max(position.timestamp, asked),
        };
        duty.dataset.state = "sending";
        send();
      },
      function (error) {
        say(geoError(error), true);
      },
      { enableHighAccuracy: true, timeout: Math.max(every, 15000), maximumAge: 0 }
    );
  }

  if (!navigator.geolocation) {
    stop(geoError(null));
    return;
  }
  duty.dataset.state = "locating";
  say(texts.locating);
  tick();
  timer = setInterval(tick, every);
  // Phones stop timers in the background: locate at once when the page is in front again.
  document.addEventListener("visibilitychange", function () {
    if (document.visibilityState === "visible") tick();
  });
})();
