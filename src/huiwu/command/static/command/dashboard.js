/* The command centre's dashboard: draws the snapshot of ws/command/, then keeps it up to date
 * event by event (live.js). Every event carries absolute values (a zone's count, an incident
 * whole), so drawing one is setting what it says. Labels come from the page (#command-labels),
 * in its language; the data are ids and codes.
 */
(function () {
  "use strict";

  var M = window.HuiwuCommandMap;
  var SVG = "http://www.w3.org/2000/svg";
  var OPEN = ["new", "dispatched", "acknowledged", "on_scene"];
  var TICKER = 20;

  var labels = M.readJson("command-labels");
  var config = M.readJson("command-config");
  var texts = labels.texts;
  var clock = M.Clock(config);
  var format = M.format;
  var state = null;

  function $(selector) {
    return document.querySelector(selector);
  }

  function el(tag, className, content) {
    var node = document.createElement(tag);
    if (className) node.className = className;
    if (content != null) node.textContent = content;
    return node;
  }

  function number(value) {
    return value == null ? "–" : Number(value).toLocaleString(document.documentElement.lang);
  }

  function level(inside, capacity) {
    if (!capacity) return "ok";
    if (inside >= capacity) return "alarm";
    if (inside >= capacity * state.warning) return "warning";
    return "ok";
  }

  function zoneName(id) {
    var zone = labels.zones[id];
    return zone ? zone.name : "#" + id;
  }

  function venueName(id) {
    return id == null ? texts.other_venue : labels.venues[id] || "#" + id;
  }

  function postName(id) {
    var post = labels.posts[id];
    return post ? post.name : "#" + id;
  }

  function nowMinute() {
    return Math.floor(clock.now() / 60000) * 60;
  }

  // --- State ----------------------------------------------------------------------------------

  function fromSnapshot(snapshot) {
    var byId = function (list) {
      var map = {};
      list.forEach(function (item) {
        map[item.id] = item;
      });
      return map;
    };
    var arrivals = {};
    snapshot.arrivals.forEach(function (pair) {
      arrivals[pair[0]] = pair[1];
    });
    return {
      warning: snapshot.warning,
      inside: snapshot.inside,
      arrivals: arrivals,
      zones: byId(snapshot.zones),
      venues: byId(snapshot.venues),
      onDuty: snapshot.on_duty,
      noShows: snapshot.no_shows,
      incidents: byId(snapshot.incidents),
      events: snapshot.events.slice(-TICKER).reverse(),
    };
  }

  function remember(message) {
    state.events.unshift({ kind: message.kind, data: message.data, at: message.at, seq: message.seq });
    state.events.length = Math.min(state.events.length, TICKER);
  }

  // --- Drawing --------------------------------------------------------------------------------

  function drawKpis() {
    $("[data-kpi=inside]").textContent = number(state.inside);
    var since = nowMinute() - 14 * 60;
    var recent = 0;
    Object.keys(state.arrivals).forEach(function (minute) {
      if (Number(minute) >= since) recent += state.arrivals[minute];
    });
    $("[data-kpi=arrivals]").textContent = number(recent);
    $("[data-kpi=on-duty]").textContent = number(state.onDuty.total);
    $("[data-kpi=no-shows]").textContent = number(state.noShows);
    var open = Object.keys(state.incidents).map(function (id) {
      return state.incidents[id];
    });
    $("[data-kpi=incidents]").textContent = number(open.length);
    var counts = $("[data-priority-counts]");
    counts.textContent = "";
    Object.keys(labels.priorities).forEach(function (priority) {
      var n = open.filter(function (incident) {
        return String(incident.priority) === priority;
      }).length;
      var chip = el("li", "priority-chip priority-chip-" + priority + (n ? "" : " is-zero"));
      chip.appendChild(el("span", "chip-count", n));
      chip.appendChild(el("span", "chip-label", labels.priorities[priority]));
      counts.appendChild(chip);
    });
  }

  function drawChart() {
    var svg = $("[data-arrivals-chart]");
    while (svg.firstChild) svg.removeChild(svg.firstChild);
    var end = nowMinute();
    var values = [];
    for (var i = 59; i >= 0; i -= 1) values.push({ minute: end - i * 60, count: state.arrivals[end - i * 60] || 0 });
    var peak = Math.max.apply(null, values.map(function (value) { return value.count; }));
    var step = Math.max(1, Math.ceil(peak / 4));
    var top = step * 4;
    var width = 600, height = 180, left = 34, bottom = 6, plot = height - bottom - 8;
    var slot = (width - left) / 60;
    for (var g = 0; g <= 4; g += 1) {
      var y = 8 + plot - (plot * g) / 4;
      var line = document.createElementNS(SVG, "line");
      line.setAttribute("x1", left);
      line.setAttribute("x2", width);
      line.setAttribute("y1", y);
      line.setAttribute("y2", y);
      line.setAttribute("class", "grid");
      svg.appendChild(line);
      var tick = document.createElementNS(SVG, "text");
      tick.setAttribute("x", left - 6);
      tick.setAttribute("y", y + 4);
      tick.setAttribute("text-anchor", "end");
      tick.setAttribute("class", "tick");
      tick.textContent = step * g;
      svg.appendChild(tick);
    }
    values.forEach(function (value, index) {
      if (!value.count) return;
      var h = (plot * value.count) / top;
      var rect = document.createElementNS(SVG, "rect");
      rect.setAttribute("x", left + index * slot + 1);
      rect.setAttribute("y", 8 + plot - h);
      rect.setAttribute("width", Math.max(1, slot - 2));
      rect.setAttribute("height", h);
      rect.setAttribute("class", "bar");
      var title = document.createElementNS(SVG, "title");
      title.textContent = clock.time(value.minute * 1000).slice(0, 5) + " · " + value.count;
      rect.appendChild(title);
      svg.appendChild(rect);
    });
  }

  function bar(name, inside, capacity, className) {
    var row = el("div", "occupancy-row " + className + " level-" + level(inside, capacity));
    var head = el("div", "occupancy-head");
    head.appendChild(el("span", "occupancy-name", name));
    head.appendChild(
      el("span", "occupancy-count", capacity ? number(inside) + " / " + number(capacity) : number(inside) + " · " + texts.no_capacity)
    );
    row.appendChild(head);
    var track = el("div", "occupancy-track");
    var fill = el("div", "occupancy-fill");
    fill.style.width = (capacity ? Math.min(100, (100 * inside) / capacity) : 0) + "%";
    track.appendChild(fill);
    row.appendChild(track);
    return row;
  }

  function drawOccupancy() {
    var box = $("[data-occupancy]");
    box.textContent = "";
    var zonesByVenue = {};
    Object.keys(state.zones).forEach(function (id) {
      var zone = state.zones[id];
      var key = zone.venue == null ? "none" : zone.venue;
      (zonesByVenue[key] = zonesByVenue[key] || []).push(zone);
    });
    // A full zone must not hide below the fold: the fullest come first, as do their venues.
    var SEVERITY = { alarm: 2, warning: 1, ok: 0 };
    function severity(zone) {
      return SEVERITY[level(zone.inside, zone.capacity)];
    }
    function worst(id) {
      return Math.max.apply(null, zonesByVenue[id].map(severity));
    }
    Object.keys(zonesByVenue).forEach(function (key) {
      zonesByVenue[key].sort(function (a, b) {
        return severity(b) - severity(a) || b.inside - a.inside;
      });
    });
    var venueIds = Object.keys(state.venues).filter(function (id) {
      return zonesByVenue[id];
    });
    venueIds.sort(function (a, b) {
      return worst(b) - worst(a) || state.venues[b].inside - state.venues[a].inside;
    });
    venueIds.forEach(function (id) {
      var venue = state.venues[id];
      var group = el("div", "occupancy-venue");
      group.appendChild(bar(venueName(venue.id), venue.inside, venue.capacity, "is-venue"));
      zonesByVenue[id].forEach(function (zone) {
        group.appendChild(bar(zoneName(zone.id), zone.inside, zone.capacity, "is-zone"));
      });
      box.appendChild(group);
    });
    if (zonesByVenue.none) {
      var rest = el("div", "occupancy-venue");
      zonesByVenue.none.forEach(function (zone) {
        rest.appendChild(bar(zoneName(zone.id), zone.inside, zone.capacity, "is-zone"));
      });
      box.appendChild(rest);
    }
  }

  function drawDuty() {
    var box = $("[data-duty]");
    box.textContent = "";
    var venues = state.onDuty.venues;
    var ids = Object.keys(venues).filter(function (id) {
      return venues[id] > 0;
    });
    if (!ids.length) {
      box.appendChild(el("p", "muted", texts.nobody));
      return;
    }
    ids.sort(function (a, b) {
      return venues[b] - venues[a];
    });
    var list = el("ul", "duty-list");
    ids.forEach(function (id) {
      var item = el("li", "duty-venue");
      var head = el("div", "duty-head");
      head.appendChild(el("span", "duty-name", venueName(Number(id))));
      head.appendChild(el("span", "duty-count", number(venues[id])));
      item.appendChild(head);
      var posts = el("ul", "duty-posts");
      Object.keys(state.onDuty.posts).forEach(function (postId) {
        var post = labels.posts[postId];
        var count = state.onDuty.posts[postId];
        if (!count || !post || String(post.venue) !== String(id)) return;
        var line = el("li");
        var dot = el("span", "legend-dot");
        dot.style.background = M.colours[post.kind] || "#14539a";
        line.appendChild(dot);
        line.appendChild(el("span", "duty-post", post.name));
        line.appendChild(el("span", "duty-count", number(count)));
        posts.appendChild(line);
      });
      item.appendChild(posts);
      list.appendChild(item);
    });
    box.appendChild(list);
  }

  function incidentUrl(incident) {
    return config.incident_url.replace("{id}", incident.public_id);
  }

  function minutesSince(iso) {
    return Math.max(0, Math.floor((clock.now() - Date.parse(iso)) / 60000));
  }

  function drawIncidents() {
    var list = $("[data-incidents]");
    list.textContent = "";
    var open = Object.keys(state.incidents)
      .map(function (id) {
        return state.incidents[id];
      })
      .sort(function (a, b) {
        return a.priority - b.priority || Date.parse(a.created_at) - Date.parse(b.created_at);
      });
    if (!open.length) {
      list.appendChild(el("li", "muted", texts.no_incidents));
      return;
    }
    open.forEach(function (incident) {
      var item = el("li", "incident-item priority-" + incident.priority);
      item.dataset.incident = incident.id;
      item.appendChild(el("span", "priority-chip priority-chip-" + incident.priority, labels.priorities[String(incident.priority)]));
      var link = el("a", "incident-title", "#" + incident.id + " " + (labels.incident_kinds[incident.kind] || incident.kind));
      link.href = incidentUrl(incident);
      item.appendChild(link);
      var where = [incident.venue != null ? venueName(incident.venue) : "", incident.place].filter(Boolean).join(" · ");
      item.appendChild(el("span", "incident-where", where));
      item.appendChild(el("span", "status status-" + incident.status, labels.statuses[incident.status] || incident.status));
      var minutes = minutesSince(incident.created_at);
      var age = minutes < 1 ? texts.just_now : format(texts.minutes_ago, { minutes: minutes });
      item.appendChild(el("span", "incident-age", age));
      list.appendChild(item);
    });
  }

  function describe(event) {
    var data = event.data;
    if (event.kind === "checkin") {
      var line = format(data.direction === "out" ? texts.checkin_out : texts.checkin_in, { zone: zoneName(data.zone) });
      var category = labels.categories[data.category];
      return category ? line + " · " + category : line;
    }
    if (event.kind === "duty") {
      return format(texts["duty_" + data.status] || texts.duty_on, { name: data.name, post: postName(data.post) });
    }
    if (event.kind === "incident") {
      return format(texts.incident, {
        id: data.id,
        kind: labels.incident_kinds[data.kind] || data.kind,
        status: labels.statuses[data.status] || data.status,
      });
    }
    if (event.kind === "alert") {
      return format(texts.alert, { id: data.incident, reason: labels.alerts[data.reason] || data.reason });
    }
    return null;
  }

  function drawEvents() {
    var list = $("[data-events]");
    list.textContent = "";
    var shown = 0;
    state.events.forEach(function (event) {
      var sentence = describe(event);
      if (!sentence) return;
      var item = el("li", "event-item event-" + event.kind + (event.kind === "incident" ? " priority-" + event.data.priority : ""));
      item.appendChild(el("time", "event-time", clock.time(event.at * 1000)));
      item.appendChild(el("span", "event-text", sentence));
      list.appendChild(item);
      shown += 1;
    });
    if (!shown) list.appendChild(el("li", "muted", texts.no_events));
  }

  function showAlert(data) {
    var box = $("[data-alerts]");
    var incident = state.incidents[data.incident];
    var alert = el("div", "alert-banner" + (incident ? " priority-" + incident.priority : ""));
    alert.setAttribute("role", "alert");
    alert.appendChild(el("strong", "alert-title", format(texts.alert_title, { id: data.incident })));
    alert.appendChild(el("span", "alert-text", labels.alerts[data.reason] || data.reason));
    if (incident) {
      var link = el("a", "button button-light", texts.open);
      link.href = incidentUrl(incident);
      alert.appendChild(link);
    }
    var dismiss = el("button", "alert-dismiss", "×");
    dismiss.type = "button";
    dismiss.setAttribute("aria-label", texts.dismiss);
    dismiss.addEventListener("click", function () {
      box.removeChild(alert);
    });
    alert.appendChild(dismiss);
    box.insertBefore(alert, box.firstChild);
    while (box.children.length > 4) box.removeChild(box.lastChild);
  }

  function drawAll() {
    drawKpis();
    drawChart();
    drawOccupancy();
    drawDuty();
    drawIncidents();
    drawEvents();
  }

  // --- Live -----------------------------------------------------------------------------------

  var map = M.create($("[data-command-map]"), {
    labels: labels,
    config: config,
    clock: clock,
    paths: M.readJson("command-paths"),
    small: true,
  });

  function onEvent(kind, data, message) {
    if (!state) return;
    if (kind === "position") {
      map.upsertPosition(data);
      return;
    }
    if (kind === "checkin") {
      var zone = state.zones[data.zone] || (state.zones[data.zone] = { id: data.zone, venue: data.venue });
      zone.inside = data.zone_inside;
      zone.capacity = data.zone_capacity;
      if (data.venue != null && state.venues[data.venue]) state.venues[data.venue].inside = data.venue_inside;
      state.inside = data.inside;
      state.arrivals[data.minute] = data.arrivals;
      remember(message);
      drawKpis();
      drawChart();
      drawOccupancy();
      drawEvents();
    } else if (kind === "duty") {
      state.onDuty.total = data.on_duty;
      state.onDuty.posts[data.post] = data.post_on_duty;
      state.onDuty.venues[data.venue] = data.venue_on_duty;
      state.noShows = data.no_shows;
      if (data.status !== "on") map.removeVolunteer(data.volunteer);
      remember(message);
      drawKpis();
      drawDuty();
      drawEvents();
    } else if (kind === "incident") {
      if (!map.upsertIncident(data)) return; // an older state arriving late
      if (OPEN.indexOf(data.status) >= 0) state.incidents[data.id] = data;
      else delete state.incidents[data.id];
      remember(message);
      drawKpis();
      drawIncidents();
      drawEvents();
    } else if (kind === "alert") {
      remember(message);
      showAlert(data);
      drawEvents();
    }
  }

  HuiwuLive.connect(config.socket, {
    heartbeatSeconds: config.heartbeat_seconds,
    statusElement: $("[data-connection]"),
    texts: texts,
    onSnapshot: function (snapshot) {
      state = fromSnapshot(snapshot);
      map.setMaxAge(snapshot.position_max_age_seconds);
      map.setPositions(snapshot.positions);
      map.setIncidents(snapshot.incidents);
      drawAll();
      document.body.dataset.live = "ready";
    },
    onEvent: onEvent,
  });

  // Time moves the chart and the ages on even without events.
  setInterval(function () {
    if (!state) return;
    drawKpis();
    drawChart();
    drawIncidents();
  }, 20000);
})();
