/* Venue maps of the public pages: our own GeoJSON of the venues over our own base map.
 *
 * No tile server is reachable on a venue network, so the map draws the static base map
 * (water, roads, paths, areas) and the venues; tiles are added only when configured. A missing
 * or broken base map is ignored: the venues alone still make a useful map.
 */
(function () {
  "use strict";

  var BASE_STYLES = {
    water: { color: "#8cbfe0", weight: 1, fillColor: "#b7dcf2", fillOpacity: 1 },
    canal: { color: "#a3cfea", weight: 5, opacity: 1, lineCap: "round", lineJoin: "round" },
    road: { color: "#c3c8d0", weight: 5, opacity: 1, lineCap: "round" },
    path: { color: "#b9bfc8", weight: 2, opacity: 1, dashArray: "3 6" },
    area: { color: "#d5e3cc", weight: 1, fillColor: "#e3eeda", fillOpacity: 1 },
  };
  var VENUE = { color: "#14539a", weight: 2, fillColor: "#3f7fcf", fillOpacity: 0.5 };
  var HIGHLIGHT = { color: "#b54708", weight: 3, fillColor: "#f79009", fillOpacity: 0.55 };

  function fetchJson(url) {
    return fetch(url, { headers: { Accept: "application/geo+json, application/json" } }).then(
      function (response) {
        if (!response.ok) throw new Error(response.status + " " + url);
        return response.json();
      }
    );
  }

  function baseStyle(feature) {
    var kind = feature.properties && feature.properties.kind;
    if (kind === "water" && feature.geometry.type.indexOf("LineString") !== -1) kind = "canal";
    return BASE_STYLES[kind] || BASE_STYLES.area;
  }

  // The name of a base-map feature in the page's language: "name_zh" or "name_en" (or "name").
  function baseName(feature, language) {
    var properties = feature.properties || {};
    return properties["name_" + language.split("-")[0]] || properties.name || "";
  }

  // Leaflet writes a string tooltip as HTML; names are data that people typed, so they go in
  // as text nodes, never as markup.
  function textLabel(text) {
    var label = document.createElement("span");
    label.textContent = text;
    return label;
  }

  function drawBase(map, data, language) {
    L.geoJSON(data, {
      pane: "base",
      style: baseStyle,
      interactive: false,
      onEachFeature: function (feature, layer) {
        var name = baseName(feature, language);
        if (name && feature.properties.kind === "area") {
          layer.bindTooltip(textLabel(name), { permanent: true, direction: "center", className: "base-label" });
        }
      },
    }).addTo(map);
  }

  function drawVenues(map, data, highlight) {
    var highlighted = null;
    var layer = L.geoJSON(data, {
      style: function (feature) {
        var style = feature.properties.slug === highlight ? HIGHLIGHT : VENUE;
        return Object.assign({ className: "venue-shape" }, style);
      },
      pointToLayer: function (feature, latlng) {
        return L.marker(latlng, { title: feature.properties.name, alt: feature.properties.name });
      },
      onEachFeature: function (feature, venueLayer) {
        var own = feature.properties.slug === highlight;
        if (own) highlighted = venueLayer;
        venueLayer.bindTooltip(textLabel(feature.properties.name), {
          permanent: own,
          direction: feature.geometry.type === "Point" ? "top" : "center",
          className: own ? "venue-label venue-label-own" : "venue-label",
        });
        if (!own) {
          venueLayer.on("click", function () {
            window.location.href = feature.properties.url;
          });
        }
      },
    }).addTo(map);
    var bounds = layer.getBounds();
    if (highlighted) {
      if (highlighted.getBounds) {
        map.fitBounds(highlighted.getBounds().pad(1.5), { maxZoom: 16.5 });
      } else {
        map.setView(highlighted.getLatLng(), 16);
      }
    } else if (bounds.isValid()) {
      map.fitBounds(bounds, { padding: [32, 32], maxZoom: 17 });
    }
    return layer;
  }

  function drawMap(element) {
    var data = element.dataset;
    L.Icon.Default.imagePath = data.images;
    var map = L.map(element, {
      scrollWheelZoom: false,
      zoomSnap: 0.25,
      attributionControl: Boolean(data.tiles),
    });
    map.createPane("base");
    map.getPane("base").style.zIndex = 250;
    if (data.tiles) {
      L.tileLayer(data.tiles, { attribution: data.tilesAttribution || "", maxZoom: 19 }).addTo(map);
    }
    var venues = fetchJson(data.venues).then(function (collection) {
      drawVenues(map, collection, data.highlight || "");
    });
    var base = fetchJson(data.base)
      .then(function (collection) {
        drawBase(map, collection, document.documentElement.lang || "en");
      })
      .catch(function () {
        // No base map yet: the venues alone are drawn.
      });
    Promise.allSettled([venues, base]).then(function () {
      element.dataset.ready = "true";
    });
  }

  function start() {
    document.querySelectorAll("[data-venue-map]").forEach(drawMap);
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
