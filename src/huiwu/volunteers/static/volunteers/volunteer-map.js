/* Maps of the volunteers' pages: the venues from our own GeoJSON, and on them a post, a track
 * or the volunteers on duty. No tiles unless configured: a venue network may be offline.
 *
 * Every position drawn carries its time and its age ("4 min ago"), so that an old dot is
 * never taken for a live one. Ages are counted from the server's clock (data-now), not the
 * phone's, which may be wrong.
 */
(function () {
  "use strict";

  var VENUE = { color: "#14539a", weight: 2, fillColor: "#3f7fcf", fillOpacity: 0.35 };
  var POST_VENUE = { color: "#b54708", weight: 3, fillColor: "#f79009", fillOpacity: 0.45 };
  var BASE = { color: "#c3c8d0", weight: 2, fillColor: "#eef1ea", fillOpacity: 1 };
  var WATER = { color: "#8cbfe0", weight: 2, fillColor: "#b7dcf2", fillOpacity: 1 };
  var TRACK = { color: "#0e8a83", weight: 4, opacity: 0.85 };
  // A position older than this is drawn grey: the phone has stopped reporting.
  var STALE_SECONDS = 300;

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/geo+json, application/json" } }).then(
      function (response) {
        if (!response.ok) throw new Error(response.status + " " + url);
        return response.json();
      }
    );
  }

  // Names are data people typed: they go into tooltips as text nodes, never as markup.
  function textNode(text) {
    var span = document.createElement("span");
    span.textContent = text;
    return span;
  }

  function lines(texts) {
    var box = document.createElement("span");
    texts.forEach(function (text, index) {
      if (index) box.appendChild(document.createElement("br"));
      box.appendChild(document.createTextNode(text));
    });
    return box;
  }

  function Clock(element) {
    var serverNow = Date.parse(element.dataset.now || "") || Date.now();
    var loadedAt = Date.now();
    var language = document.documentElement.lang || "en";
    var relative = new Intl.RelativeTimeFormat(language, { numeric: "auto", style: "short" });
    var timeOfDay = new Intl.DateTimeFormat(language, {
      hour: "2-digit",
      minute: "2-digit",
      second: "2-digit",
      hour12: false,
      timeZone: element.dataset.timeZone || undefined,
    });
    return {
      now: function () {
        return serverNow + (Date.now() - loadedAt);
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
        return timeOfDay.format(new Date(at));
      },
    };
  }

  function create(element) {
    var data = element.dataset;
    var clock = Clock(element);
    L.Icon.Default.imagePath = data.images;
    var map = L.map(element, { zoomSnap: 0.25, attributionControl: Boolean(data.tiles) });
    map.createPane("base");
    map.getPane("base").style.zIndex = 250;
    // Positions above the venues' names (the tooltip pane is at 650): a volunteer standing in
    // the middle of the venue must not hide under its label.
    map.createPane("positions");
    map.getPane("positions").style.zIndex = 660;
    map.setView([30.7455, 120.487], 15);
    if (data.tiles) {
      L.tileLayer(data.tiles, { attribution: data.tilesAttribution || "", maxZoom: 19 }).addTo(map);
    }
    var overlay = L.featureGroup().addTo(map);
    var postLayer = null;
    var venuesLayer = null;

    function fit() {
      var bounds = overlay.getBounds();
      if (postLayer && postLayer.getBounds) bounds = postLayer.getBounds().extend(bounds);
      if (!bounds.isValid() && venuesLayer) bounds = venuesLayer.getBounds();
      if (bounds.isValid()) map.fitBounds(bounds.pad(0.4), { maxZoom: 18 });
    }

    var venues = fetchJson(data.venues).then(function (collection) {
      venuesLayer = L.geoJSON(collection, {
        style: function (feature) {
          return feature.properties.slug === data.highlight ? POST_VENUE : VENUE;
        },
        onEachFeature: function (feature, layer) {
          var own = feature.properties.slug === data.highlight;
          if (own) postLayer = layer;
          layer.bindTooltip(textNode(feature.properties.name), {
            permanent: own,
            direction: "center",
            className: own ? "venue-label venue-label-own" : "venue-label",
          });
        },
      }).addTo(map);
    });
    var base = data.base
      ? fetchJson(data.base)
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
            // Without the base map the venues alone still show where to go.
          })
      : Promise.resolve();
    var ready = Promise.allSettled([venues, base]).then(function () {
      fit();
      element.dataset.ready = "true";
    });

    function pointLabel(point) {
      var age = point.age_seconds != null ? point.age_seconds : clock.ageSeconds(point.at);
      var texts = [clock.time(point.at) + " · " + clock.age(age)];
      if (point.label) texts.unshift(point.label);
      if (point.accuracy_m != null) texts.push("± " + Math.round(point.accuracy_m) + " m");
      if (point.note) texts.push(point.note);
      return { text: lines(texts), stale: age > STALE_SECONDS };
    }

    function dot(point, options) {
      var label = pointLabel(point);
      var marker = L.circleMarker([point.lat, point.lon], {
        pane: "positions",
        radius: options.radius,
        color: "#fff",
        weight: 2,
        fillColor: label.stale ? "#98a2b3" : options.colour,
        fillOpacity: 1,
        className: "position-dot" + (label.stale ? " position-stale" : ""),
      });
      marker.bindTooltip(label.text, { direction: "top", permanent: Boolean(options.permanent) });
      return marker.addTo(overlay);
    }

    var track = null;
    var last = null;
    return {
      map: map,
      ready: ready,
      clock: clock,
      /* A track: the line through the points, a small dot per point, the last one larger. */
      showTrack: function (points) {
        overlay.clearLayers();
        track = L.polyline(
          points.map(function (point) {
            return [point.lat, point.lon];
          }),
          Object.assign({ pane: "positions" }, TRACK)
        ).addTo(overlay);
        last = null;
        points.forEach(function (point, index) {
          var isLast = index === points.length - 1;
          var marker = dot(point, { radius: isLast ? 8 : 4, colour: "#0e8a83" });
          if (isLast) last = marker;
        });
        ready.then(fit);
      },
      addToTrack: function (point) {
        if (!track) return this.showTrack([point]);
        if (last) last.setRadius(4);
        track.addLatLng([point.lat, point.lon]);
        last = dot(point, { radius: 8, colour: "#0e8a83" });
      },
      /* Separate people, each at their last position, named on the map. */
      showPeople: function (people) {
        overlay.clearLayers();
        people.forEach(function (person) {
          dot(person, { radius: 7, colour: person.inside === false ? "#d92d20" : "#14539a" });
        });
        ready.then(fit);
      },
      /* One marked place, e.g. where the phone was at sign-in. */
      mark: function (point) {
        dot(point, { radius: 8, colour: point.inside === false ? "#d92d20" : "#14539a" });
        ready.then(fit);
      },
    };
  }

  window.HuiwuVolunteerMap = { create: create };
})();
