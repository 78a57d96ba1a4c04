/* The command centre on the volunteer's phone page (the duty page's panel).
 *
 * The page follows ws/volunteer/ (live.js). A task given to the volunteer, or a message that
 * reaches them, fetches the duty page again and swaps the panel's live part ([data-phone-live]):
 * the server renders the task card with the answers valid now, in the volunteer's language, so
 * the phone never guesses. A new task vibrates and beeps (when the phone allows it). On
 * (re)connect the snapshot is compared with what is shown, and a difference refreshes it.
 *
 * The answer deadline counts down from the server's clock. The report form attaches the
 * phone's position, asked for when the volunteer opens the form (as duty.js does at sign-in);
 * without one the report still goes, at the volunteer's post.
 */
(function () {
  "use strict";

  var panel = document.querySelector("[data-phone-panel]");
  if (!panel) return;
  var config = JSON.parse(document.getElementById("phone-config").textContent);
  var texts = config.texts;
  var serverOffset = (Date.parse(panel.dataset.now) || Date.now()) - Date.now();
  var GEO_OPTIONS = { enableHighAccuracy: true, timeout: 15000, maximumAge: 30000 };

  function format(template, values) {
    return template.replace(/%\((\w+)\)s/g, function (_match, name) {
      return values[name];
    });
  }

  function live() {
    return panel.querySelector("[data-phone-live]");
  }

  // --- The answer deadline --------------------------------------------------------------
  function pad(number) {
    return (number < 10 ? "0" : "") + number;
  }

  function tick() {
    var due = panel.querySelector("[data-respond-by]");
    if (!due) return;
    var countdown = due.querySelector("[data-countdown]");
    var left = Math.round((Date.parse(due.dataset.respondBy) - (Date.now() + serverOffset)) / 1000);
    due.classList.toggle("task-due-over", left <= 0);
    countdown.textContent =
      left > 0
        ? format(texts.left, { time: Math.floor(left / 60) + ":" + pad(left % 60) })
        : texts.overdue;
  }
  setInterval(tick, 1000);
  tick();

  // --- How far the task is from here ----------------------------------------------------
  function metres(lat1, lon1, lat2, lon2) {
    var rad = Math.PI / 180;
    var dLat = (lat2 - lat1) * rad;
    var dLon = (lon2 - lon1) * rad;
    var a =
      Math.sin(dLat / 2) * Math.sin(dLat / 2) +
      Math.cos(lat1 * rad) * Math.cos(lat2 * rad) * Math.sin(dLon / 2) * Math.sin(dLon / 2);
    return 6371000 * 2 * Math.atan2(Math.sqrt(a), Math.sqrt(1 - a));
  }

  // Only where the phone already allows location: the panel never asks for it by itself.
  function distanceFromHere() {
    var link = panel.querySelector("[data-task-point]");
    if (!link || !navigator.geolocation || !navigator.permissions) return;
    var target = link.dataset.taskPoint.split(",").map(Number);
    navigator.permissions
      .query({ name: "geolocation" })
      .then(function (permission) {
        if (permission.state !== "granted") return;
        navigator.geolocation.getCurrentPosition(
          function (position) {
            var shown = panel.querySelector("[data-task-distance]");
            if (!shown) return;
            var distance = metres(
              position.coords.latitude,
              position.coords.longitude,
              target[0],
              target[1]
            );
            shown.textContent = format(texts.from_you, { distance: Math.round(distance) });
          },
          function () {},
          GEO_OPTIONS
        );
      })
      .catch(function () {});
  }
  distanceFromHere();

  // --- A new task: tell the volunteer ---------------------------------------------------
  var audio = null;
  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      audio = audio || new Context();
      var tone = audio.createOscillator();
      var gain = audio.createGain();
      tone.frequency.value = 880;
      gain.gain.value = 0.2;
      tone.connect(gain);
      gain.connect(audio.destination);
      tone.start();
      tone.stop(audio.currentTime + 0.35);
    } catch (error) {
      // A browser that allows no sound before a touch: the vibration and the card remain.
    }
  }

  function announce(card) {
    if (navigator.vibrate) navigator.vibrate([300, 150, 300]);
    beep();
    card.classList.add("task-card-new");
    card.scrollIntoView({ behavior: "smooth", block: "start" });
  }

  // --- Refresh the live part from the server --------------------------------------------
  var refreshing = null;
  var again = false;

  function swap(html) {
    var fresh = new DOMParser().parseFromString(html, "text/html").querySelector("[data-phone-live]");
    if (!fresh) return;
    var before = live().dataset.task;
    var replacement = document.importNode(fresh, true);
    live().replaceWith(replacement);
    var card = replacement.querySelector("[data-task-card]");
    if (card && replacement.dataset.task !== before) announce(card);
    var latest = replacement.querySelector(".broadcast-latest");
    if (latest) latest.classList.add("broadcast-new");
    tick();
    distanceFromHere();
  }

  function refresh() {
    if (refreshing) {
      again = true;
      return;
    }
    refreshing = fetch(panel.dataset.panelUrl, { credentials: "same-origin", cache: "no-store" })
      .then(function (response) {
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(swap)
      .catch(function () {
        // Offline: the next event or the resync after reconnecting tries again.
      })
      .then(function () {
        refreshing = null;
        if (again) {
          again = false;
          refresh();
        }
      });
  }

  // The snapshot against what the page shows: the task (and its state) and the newest message.
  function differs(state) {
    var shown = live().dataset;
    var task = (state.tasks || [])[0];
    var message = (state.broadcasts || [])[0];
    return (
      String(task ? task.id : "") !== shown.task ||
      String(task ? task.status : "") !== shown.taskStatus ||
      String(message ? message.id : "") !== shown.broadcast
    );
  }

  if (window.HuiwuLive) {
    var connection = panel.querySelector("[data-phone-connection]");
    connection.hidden = false;
    window.HuiwuLive.connect(config.socket, {
      heartbeatSeconds: config.heartbeat_seconds,
      statusElement: connection,
      texts: texts,
      onSnapshot: function (state) {
        if (differs(state)) refresh();
      },
      onEvent: function (kind) {
        if (kind === "task" || kind === "broadcast") refresh();
      },
    });
  }

  // --- Reporting an incident: the phone's position goes with it ------------------------
  var report = panel.querySelector("[data-report-form]");
  if (!report) return;
  var status = report.querySelector("[data-report-position]");
  var fix = null;
  var asking = null;

  function locate() {
    if (fix || asking || !navigator.geolocation) return asking;
    status.textContent = texts.locating;
    asking = new Promise(function (resolve) {
      navigator.geolocation.getCurrentPosition(
        function (position) {
          fix = position.coords;
          report.elements.latitude.value = fix.latitude.toFixed(7);
          report.elements.longitude.value = fix.longitude.toFixed(7);
          report.elements.accuracy.value = Math.round(fix.accuracy || 0);
          status.textContent = format(texts.located, { accuracy: Math.round(fix.accuracy || 0) });
          resolve();
        },
        function () {
          status.textContent = texts.no_position;
          resolve();
        },
        GEO_OPTIONS
      );
    });
    return asking;
  }

  var details = report.closest("details");
  if (details) {
    details.addEventListener("toggle", function () {
      if (details.open) locate();
    });
  }
  report.addEventListener("submit", function (event) {
    if (fix || report.dataset.located === "true" || !navigator.geolocation) return;
    event.preventDefault();
    var button = report.querySelector("button[type=submit]");
    button.disabled = true;
    (locate() || Promise.resolve()).then(function () {
      report.dataset.located = "true";
      report.submit();
    });
  });
})();
