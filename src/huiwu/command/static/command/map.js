/* The command centre's map (Leaflet, from our own GeoJSON: a venue network may be offline, so
 * tiles only when configured): the venues and walking paths, the volunteers on duty as dots
 * coloured by their post's kind (grey when the position is old), the open incidents as
 * markers coloured by priority.
 *
 *   var map = HuiwuCommandMap.create(element, {labels, config, paths, onVolunteer(position)});
 *   map.setPositions(list) · map.upsertPosition(p) · map.removeVolunteer(id)
 *   map.setIncidents(list) · map.upsertIncident(incident)   (closed ones are removed; an
 *   incident older than the one shown, by its updated_at, is ignored and false returned)
 *   map.showTrajectory(points) · map.clearTrajectory() · map.position(id)
 *
 * On the map page (an element with data-full) it also runs the page: the legend, the panel of
 * the clicked volunteer and their trajectory over a chosen time range, from the volunteers' API.
 */
(function () {
  "use strict";

  var KIND_COLOURS = {
    registration_desk: "#1570ef",
    forum_steward: "#6938ef",
    interpreter: "#c11574",
    guide: "#099250",
    press_aide: "#ca8504",
    vip_escort: "#344054",
    expo_guide: "#0ba5ec",
    information_desk: "#15b79e",
    medical_aide: "#d92d20",
    driver: "#4e5ba6",
    it_support: "#f79009",
  };
  var STALE = "#98a2b3";
  var PRIORITY_COLOURS = { 1: "#d92d20", 2: "#f79009", 3: "#1570ef", 4: "#667085" };
  var VENUE = { color: "#14539a", weight: 2, fillColor: "#3f7fcf", fillOpacity: 0.3 };
  var BASE = { color: "#c3c8d0", weight: 2, fillColor: "#eef1ea", fillOpacity: 1 };
  var WATER = { color: "#8cbfe0", weight: 2, fillColor: "#b7dcf2", fillOpacity: 1 };
  var PATH = { color: "#8a6d3b", weight: 2, opacity: 0.8, dashArray: "4 4" };
  var TRACK = { color: "#0e8a83", weight: 4, opacity: 0.85 };

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/json" }, credentials: "same-origin" }).then(
      function (response) {
        return response.json().then(function (body) {
          if (!response.ok) throw new Error(body.detail || String(response.status));
          return body;
        });
      }
    );
  }

  function readJson(id) {
    var element = document.getElementById(id);
    return element ? JSON.parse(element.textContent) : null;
  }

  function format(template, values) {
    return String(template).replace(/%\((\w+)\)s/g, function (match, name) {
      return values[name] != null ? values[name] : "";
    });
  }

  /* Times counted from the server's clock (the page's "now"), never the phone's or the PC's. */
  function Clock(config) {
    var offset = (Date.parse(config.now) || Date.now()) - Date.now();
    var language = document.documentElement.lang || "en";
    var relative = new Intl.RelativeTimeFormat(language, { numeric: "auto", style: "short" });
    var timeOfDay = new Intl.DateTimeFormat(language, {
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hour12: false,
      timeZone: config.time_zone || undefined,
    });
    return {
      now: function () {
        return Date.now() + offset;
      },
      ageSeconds: function (at) {
        return Math.max(0, Math.round((this.now() - Date.parse(at)) / 1000));
      },
      age: function (seconds) {
        if (seconds < 60) return relative.format(-seconds, "second");
        if (seconds < 3600) return relative.format(-Math.round(seconds / 60), "minute");
        return relative.format(-Math.round(seconds / 360) / 10, "hour");
      },
      time: function (at) {
        return timeOfDay.format(typeof at === "number" ? new Date(at) : new Date(at));
      },
    };
  }

  function text(value) {
    var span = document.createElement("span");
    span.textContent = value;
    return span;
  }

  function create(element, options) {
    var labels = options.labels;
    var config = options.config;
    var clock = options.clock || Clock(config);
    var maxAge = 300;
    var map = L.map(element, {
      zoomSnap: 0.25,
      zoomControl: false,
      attributionControl: Boolean(config.tiles),
    });
    // Leaflet's own buttons say "Zoom in" in English whatever the page's language.
    L.control.zoom({ zoomInTitle: labels.texts.zoom_in, zoomOutTitle: labels.texts.zoom_out }).addTo(map);
    map.createPane("base");
    map.getPane("base").style.zIndex = 250;
    map.createPane("positions");
    map.getPane("positions").style.zIndex = 660;
    map.createPane("incidents");
    map.getPane("incidents").style.zIndex = 670;
    map.setView([30.7455, 120.487], 15);
    if (config.tiles) {
      L.tileLayer(config.tiles, { attribution: config.tiles_attribution || "", maxZoom: 19 }).addTo(map);
    }
    var venuesLayer = null;
    var dots = {};
    var positions = {};
    var incidents = {};
    var trackLayer = L.featureGroup().addTo(map);

    if (config.base) {
      fetchJson(config.base)
        .then(function (collection) {
          L.geoJSON(collection, {
            pane: "base",
            interactive: false,
            style: function (feature) {
              return feature.properties && feature.properties.kind === "water" ? WATER : BASE;
            },
          }).addTo(map);
        })
        .catch(function () {
          // The venues alone still show where things are.
        });
    }
    if (options.paths && options.paths.features && options.paths.features.length) {
      L.geoJSON(options.paths, { pane: "base", interactive: false, style: PATH }).addTo(map);
    }
    var ready = fetchJson(config.venues)
      .then(function (collection) {
        venuesLayer = L.geoJSON(collection, {
          style: VENUE,
          // A venue without an outline is a point: a round mark, not a pin (pins are for
          // nothing here, and their images would be one more thing to load).
          pointToLayer: function (feature, latlng) {
            return L.circleMarker(latlng, Object.assign({ radius: 9 }, VENUE));
          },
          onEachFeature: function (feature, layer) {
            layer.bindTooltip(text(feature.properties.name), {
              direction: "center",
              className: "venue-label",
            });
          },
        }).addTo(map);
        var bounds = venuesLayer.getBounds();
        if (bounds.isValid()) map.fitBounds(bounds.pad(0.15), { maxZoom: 17 });
      })
      .catch(function () {})
      .then(function () {
        element.dataset.ready = "true";
      });

    function postName(position) {
      var post = labels.posts[position.post];
      return post ? post.name : labels.post_kinds[position.kind] || "";
    }

    function dotStyle(position) {
      var age = clock.ageSeconds(position.at);
      var stale = age >= maxAge;
      return {
        pane: "positions",
        radius: options.small ? 5 : 7,
        color: "#fff",
        weight: stale ? 1 : 2,
        fillColor: stale ? STALE : KIND_COLOURS[position.kind] || "#14539a",
        fillOpacity: stale ? 0.6 : age >= maxAge / 2 ? 0.7 : 1,
        className: "position-dot volunteer-" + position.volunteer,
      };
    }

    // Leaflet sets a path's class once, when it is drawn: whether a dot is stale is kept up
    // to date here (for the tests and the stylesheet).
    function markStale(dot, position) {
      var path = dot.getElement && dot.getElement();
      if (path) path.classList.toggle("position-stale", clock.ageSeconds(position.at) >= maxAge);
    }

    function tooltip(position) {
      var box = document.createElement("span");
      box.appendChild(text(position.name));
      box.appendChild(document.createElement("br"));
      box.appendChild(text(postName(position)));
      box.appendChild(document.createElement("br"));
      box.appendChild(text(clock.age(clock.ageSeconds(position.at))));
      return box;
    }

    function upsertPosition(position) {
      if (position.lat == null || position.lon == null) return;
      positions[position.volunteer] = position;
      var dot = dots[position.volunteer];
      if (!dot) {
        dot = dots[position.volunteer] = L.circleMarker([position.lat, position.lon], dotStyle(position));
        dot.on("click", function () {
          if (options.onVolunteer) options.onVolunteer(positions[position.volunteer]);
        });
        dot.bindTooltip("", { direction: "top" });
        dot.addTo(map);
      } else {
        dot.setLatLng([position.lat, position.lon]);
        dot.setStyle(dotStyle(position));
      }
      markStale(dot, position);
      dot.setTooltipContent(tooltip(position));
    }

    function removeVolunteer(id) {
      if (dots[id]) map.removeLayer(dots[id]);
      delete dots[id];
      delete positions[id];
    }

    function incidentPopup(incident) {
      var box = document.createElement("div");
      var title = document.createElement("strong");
      title.textContent = "#" + incident.id + " " + (labels.incident_kinds[incident.kind] || incident.kind);
      box.appendChild(title);
      var facts = [labels.priorities[String(incident.priority)], labels.statuses[incident.status]];
      if (incident.place) facts.push(incident.place);
      facts.forEach(function (fact) {
        box.appendChild(document.createElement("br"));
        box.appendChild(text(fact || ""));
      });
      box.appendChild(document.createElement("br"));
      var link = document.createElement("a");
      link.href = config.incident_url.replace("{id}", incident.public_id);
      link.textContent = labels.texts.open;
      box.appendChild(link);
      return box;
    }

    // Two changes of one incident committed close together may arrive in the other order:
    // the newest state wins, open or closed.
    var versions = {};

    function upsertIncident(incident) {
      var version = Date.parse(incident.updated_at);
      if (versions[incident.id] > version) return false;
      versions[incident.id] = version;
      var open = ["new", "dispatched", "acknowledged", "on_scene"].indexOf(incident.status) >= 0;
      var marker = incidents[incident.id];
      if (!open || incident.lat == null || incident.lon == null) {
        if (marker) map.removeLayer(marker);
        delete incidents[incident.id];
        return true;
      }
      var icon = L.divIcon({
        className: "incident-marker priority-" + incident.priority,
        html: "<span>!</span>",
        iconSize: [22, 22],
        iconAnchor: [11, 11],
      });
      if (!marker) {
        marker = incidents[incident.id] = L.marker([incident.lat, incident.lon], {
          icon: icon,
          pane: "incidents",
          keyboard: true,
          title: "#" + incident.id,
        }).addTo(map);
        marker.bindPopup("");
      } else {
        marker.setLatLng([incident.lat, incident.lon]);
        marker.setIcon(icon);
      }
      marker.setPopupContent(incidentPopup(incident));
      return true;
    }

    // Ages change with time alone: redraw the dots' colours every 15 s.
    setInterval(function () {
      Object.keys(positions).forEach(function (id) {
        dots[id].setStyle(dotStyle(positions[id]));
        markStale(dots[id], positions[id]);
      });
    }, 15000);

    return {
      map: map,
      ready: ready,
      clock: clock,
      setMaxAge: function (seconds) {
        if (seconds) maxAge = seconds;
      },
      setPositions: function (list) {
        Object.keys(dots).forEach(removeVolunteer);
        list.forEach(upsertPosition);
      },
      upsertPosition: upsertPosition,
      removeVolunteer: removeVolunteer,
      position: function (id) {
        return positions[id];
      },
      setIncidents: function (list) {
        Object.keys(incidents).forEach(function (id) {
          map.removeLayer(incidents[id]);
          delete incidents[id];
        });
        versions = {};
        list.forEach(upsertIncident);
      },
      upsertIncident: upsertIncident,
      showTrajectory: function (points) {
        trackLayer.clearLayers();
        if (!points.length) return;
        L.polyline(
          points.map(function (point) {
            return [point.lat, point.lon];
          }),
          Object.assign({ pane: "positions" }, TRACK)
        ).addTo(trackLayer);
        points.forEach(function (point, index) {
          var last = index === points.length - 1;
          L.circleMarker([point.lat, point.lon], {
            pane: "positions",
            radius: last ? 6 : 3,
            color: "#0e8a83",
            fillColor: "#0e8a83",
            fillOpacity: 1,
            weight: 1,
          })
            .bindTooltip(clock.time(point.at))
            .addTo(trackLayer);
        });
        map.fitBounds(trackLayer.getBounds().pad(0.3), { maxZoom: 18 });
      },
      clearTrajectory: function () {
        trackLayer.clearLayers();
      },
    };
  }

  // --- The map page -------------------------------------------------------------------------

  function localInput(moment) {
    var shifted = new Date(moment.getTime() - moment.getTimezoneOffset() * 60000);
    return shifted.toISOString().slice(0, 16);
  }

  function startOfToday(clock) {
    var now = new Date(clock.now());
    now.setHours(0, 0, 0, 0);
    return now;
  }

  function runPage(element) {
    var labels = readJson("command-labels");
    var config = readJson("command-config");
    var panel = document.querySelector("[data-volunteer-panel]");
    var form = document.querySelector("[data-trajectory-form]");
    var status = document.querySelector("[data-trajectory-status]");
    var selected = null;
    var commandMap = create(element, {
      labels: labels,
      config: config,
      paths: readJson("command-paths"),
      onVolunteer: select,
    });
    var clock = commandMap.clock;

    function showFacts() {
      if (!selected) return;
      var position = commandMap.position(selected) || {};
      var post = labels.posts[position.post];
      panel.querySelector("[data-volunteer-name]").textContent = position.name || "";
      panel.querySelector("[data-volunteer-post]").textContent =
        (post ? post.name + " · " : "") + (labels.post_kinds[position.kind] || "");
      var phone = panel.querySelector("[data-volunteer-phone]");
      phone.textContent = "";
      if (position.phone) {
        var link = document.createElement("a");
        link.href = "tel:" + position.phone.replace(/\s+/g, "");
        link.textContent = position.phone;
        phone.appendChild(link);
      }
      panel.querySelector("[data-volunteer-age]").textContent = position.at
        ? clock.time(position.at) + " · " + clock.age(clock.ageSeconds(position.at))
        : "";
    }

    function select(position) {
      selected = position.volunteer;
      panel.hidden = false;
      panel.dataset.volunteer = selected;
      commandMap.clearTrajectory();
      status.textContent = "";
      showFacts();
    }

    function range() {
      var choice = form.querySelector("input[name=range]:checked").value;
      var end = new Date(clock.now() + 60000);
      if (choice === "custom") {
        var from = form.elements.from.value;
        var to = form.elements.to.value;
        return { start: from ? new Date(from) : null, end: to ? new Date(to) : end };
      }
      if (choice === "today") return { start: startOfToday(clock), end: end };
      return { start: new Date(clock.now() - Number(choice) * 60000), end: end };
    }

    form.addEventListener("change", function () {
      var custom = form.querySelector("input[name=range]:checked").value === "custom";
      form.querySelector("[data-custom-range]").hidden = !custom;
      if (custom && !form.elements.from.value) {
        form.elements.from.value = localInput(new Date(clock.now() - 3600000));
        form.elements.to.value = localInput(new Date(clock.now()));
      }
    });
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      if (!selected) return;
      var period = range();
      var query = new URLSearchParams();
      if (period.start && !isNaN(period.start)) query.set("from", period.start.toISOString());
      if (period.end && !isNaN(period.end)) query.set("to", period.end.toISOString());
      fetchJson(config.trajectory_url.replace("{id}", selected) + "?" + query.toString())
        .then(function (body) {
          commandMap.showTrajectory(body.points);
          status.textContent = body.points.length
            ? format(labels.texts.points, { count: body.points.length })
            : labels.texts.no_points;
        })
        .catch(function (error) {
          status.textContent = format(labels.texts.load_failed, { reason: error.message });
        });
    });
    document.querySelector("[data-trajectory-clear]").addEventListener("click", function () {
      commandMap.clearTrajectory();
      status.textContent = "";
    });

    var legend = document.querySelector("[data-legend]");
    Object.keys(labels.post_kinds).forEach(function (kind) {
      var item = document.createElement("li");
      item.innerHTML = '<span class="legend-dot"></span>';
      item.firstChild.style.background = KIND_COLOURS[kind] || "#14539a";
      item.appendChild(text(labels.post_kinds[kind]));
      legend.appendChild(item);
    });
    Object.keys(labels.priorities).forEach(function (priority) {
      var item = document.createElement("li");
      item.innerHTML = '<span class="legend-incident priority-' + Number(priority) + '">!</span>';
      item.appendChild(text(labels.priorities[priority]));
      legend.appendChild(item);
    });
    var stale = document.createElement("li");
    stale.innerHTML = '<span class="legend-dot legend-stale"></span>';
    stale.appendChild(text(labels.texts.stale));
    legend.appendChild(stale);

    HuiwuLive.connect(config.socket, {
      heartbeatSeconds: config.heartbeat_seconds,
      statusElement: document.querySelector("[data-connection]"),
      texts: labels.texts,
      onSnapshot: function (state) {
        commandMap.setMaxAge(state.position_max_age_seconds);
        commandMap.setPositions(state.positions);
        commandMap.setIncidents(state.incidents);
        showFacts();
        document.body.dataset.live = "ready";
      },
      onEvent: function (kind, data) {
        if (kind === "position") {
          commandMap.upsertPosition(data);
          if (data.volunteer === selected) showFacts();
        } else if (kind === "duty" && data.status !== "on") {
          commandMap.removeVolunteer(data.volunteer);
        } else if (kind === "incident") {
          commandMap.upsertIncident(data);
        }
      },
    });
    setInterval(showFacts, 15000);
  }

  window.HuiwuCommandMap = { create: create, Clock: Clock, format: format, readJson: readJson, colours: KIND_COLOURS };

  document.addEventListener("DOMContentLoaded", function () {
    var full = document.querySelector("[data-command-map][data-full]");
    if (full) runPage(full);
  });
})();
