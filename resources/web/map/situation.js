/* The situation map's live layer: units and incidents drawn from JSON sent over QWebChannel.
 *
 * Nothing here builds HTML from data: every text shown (call signs, addresses, descriptions)
 * goes through textContent, so a payload like "<img src=x onerror=...>" is shown as text.
 * Markers are circle markers on the map's canvas renderer (folium's prefer_canvas), so a few
 * thousand moving units stay cheap. Python sends one "update" per tick (at most 1 Hz) with the
 * changed units and incidents; "reset" replaces everything.
 */
/* global L, QWebChannel, qt */
(function () {
    "use strict";

    var map = null;
    var bridge = null;
    var config = null;
    var units = {};
    var incidents = {};
    var layers = {};
    var applied = 0;

    function text(tag, value, cls) {
        var el = document.createElement(tag);
        el.textContent = value === null || value === undefined ? "" : String(value);
        if (cls) {
            el.className = cls;
        }
        return el;
    }

    function unitStyle(u) {
        var s = config.status_styles[u.status] || config.unknown_style;
        var stale = u.position_at !== null && Date.now() - u.position_at > config.stale_ms;
        var emergency = u.status === "N";
        return {
            radius: emergency ? 11 : 7,
            color: emergency ? config.colours.emergency_ring : config.colours.unit_stroke,
            weight: emergency ? 4 : 1.5,
            fillColor: s.background,
            fillOpacity: stale ? 0.35 : 0.95,
            opacity: stale ? 0.5 : 1,
            dashArray: stale ? "3 3" : null,
        };
    }

    function incidentStyle(i) {
        var overdue = i.overdue_at !== null && Date.now() > i.overdue_at;
        return {
            radius: 9,
            color: overdue ? config.colours.overdue : config.colours.incident_stroke,
            weight: overdue ? 4 : 2,
            fillColor: config.priority_colours[String(i.priority)] || config.colours.incident_fill,
            fillOpacity: 0.9,
        };
    }

    function unitPopup(u) {
        var box = text("div", "", "kod-popup");
        box.appendChild(text("b", u.call_sign));
        box.appendChild(text("div", u.status_text));
        if (u.incident_number) {
            box.appendChild(text("div", u.incident_number));
        }
        box.appendChild(text("div", u.position_text));
        return box;
    }

    function incidentPopup(i) {
        var box = text("div", "", "kod-popup");
        box.appendChild(text("b", i.number + " – " + i.category_text));
        box.appendChild(text("div", i.priority_text));
        box.appendChild(text("div", i.address));
        if (i.description) {
            box.appendChild(text("div", i.description, "kod-description"));
        }
        return box;
    }

    function place(store, layer, item, style, label, popup, kind) {
        var entry = store[item.id];
        var at = [item.lat, item.lon];
        if (!entry) {
            var marker = L.circleMarker(at, style(item));
            marker.bindTooltip(text("span", label(item)), {
                permanent: true,
                direction: "right",
                offset: [8, 0],
                className: "kod-label kod-label-" + kind,
            });
            marker.bindPopup(popup(item));
            marker.on("click", function () {
                if (bridge) {
                    bridge.selected(kind, item.id);
                }
            });
            marker.addTo(layer);
            store[item.id] = { marker: marker, item: item };
            return;
        }
        entry.item = item;
        entry.marker.setLatLng(at);
        entry.marker.setStyle(style(item));
        entry.marker.setTooltipContent(text("span", label(item)));
        entry.marker.setPopupContent(popup(item));
    }

    function remove(store, layer, id) {
        var entry = store[id];
        if (entry) {
            layer.removeLayer(entry.marker);
            delete store[id];
        }
    }

    function clear(store, layer) {
        layer.clearLayers();
        Object.keys(store).forEach(function (k) {
            delete store[k];
        });
    }

    function apply(data) {
        if (data.reset) {
            clear(units, layers.units);
            clear(incidents, layers.incidents);
        }
        (data.units || []).forEach(function (u) {
            if (u.lat === null || u.lon === null) {
                remove(units, layers.units, u.id);
            } else {
                place(units, layers.units, u, unitStyle, function (x) {
                    return x.call_sign;
                }, unitPopup, "unit");
            }
        });
        (data.removed_units || []).forEach(function (id) {
            remove(units, layers.units, id);
        });
        (data.incidents || []).forEach(function (i) {
            place(incidents, layers.incidents, i, incidentStyle, function (x) {
                return x.number;
            }, incidentPopup, "incident");
        });
        (data.removed_incidents || []).forEach(function (id) {
            remove(incidents, layers.incidents, id);
        });
        applied += 1;
    }

    function restyle() {
        Object.keys(units).forEach(function (k) {
            units[k].marker.setStyle(unitStyle(units[k].item));
        });
        Object.keys(incidents).forEach(function (k) {
            incidents[k].marker.setStyle(incidentStyle(incidents[k].item));
        });
    }

    function addStadtteilLabels(group) {
        // An element (not an HTML string) as the divIcon's content: the name stays text.
        config.stadtteile.forEach(function (s) {
            L.marker([s.lat, s.lon], {
                icon: L.divIcon({ className: "kod-stadtteil", html: text("span", s.name), iconSize: null }),
                interactive: false,
                keyboard: false,
            }).addTo(group);
        });
    }

    function addLegend() {
        var legend = L.control({ position: "bottomleft" });
        legend.onAdd = function () {
            var box = text("div", "", "kod-legend");
            config.legend.forEach(function (row) {
                var line = text("div", "");
                var swatch = text("span", "", "kod-swatch");
                swatch.style.background = row.colour;
                line.appendChild(swatch);
                line.appendChild(text("span", row.label));
                box.appendChild(line);
            });
            box.appendChild(text("div", config.texts.approximate, "kod-note"));
            return box;
        };
        legend.addTo(map);
    }

    function addTiles(tiles) {
        // Leaflet shows the attribution as HTML: it gets the text escaped.
        var options = tiles.options;
        options.attribution = text("span", tiles.attribution).innerHTML;
        layers.tiles = L.tileLayer(tiles.url, options).addTo(map);
    }

    function start(cfg) {
        config = cfg;
        if (config.tiles) {
            addTiles(config.tiles);
        }
        layers.units = L.featureGroup().addTo(map);
        layers.incidents = L.featureGroup().addTo(map);
        layers.stadtteilLabels = L.layerGroup();
        var overlays = {};
        overlays[config.texts.units] = layers.units;
        overlays[config.texts.incidents] = layers.incidents;
        if (layers.stadtteile) {
            var outlines = L.layerGroup([layers.stadtteile, layers.stadtteilLabels]).addTo(map);
            overlays[config.texts.stadtteile] = outlines;
        }
        L.control.layers(null, overlays, { collapsed: false }).addTo(map);
        addStadtteilLabels(layers.stadtteilLabels);
        addLegend();
        window.setInterval(restyle, 10000);
        bridge.update.connect(function (payload) {
            apply(JSON.parse(payload));
        });
        bridge.ready();
    }

    window.kodMap = {
        attach: function (leafletMap, named) {
            map = leafletMap;
            layers.stadtteile = named.stadtteile;
            layers.boundary = named.boundary;
            if (typeof QWebChannel === "undefined" || typeof qt === "undefined") {
                return; // opened outside the workstation: the outlines only
            }
            new QWebChannel(qt.webChannelTransport, function (channel) {
                bridge = channel.objects.kodMap;
                bridge.config(function (cfg) {
                    start(JSON.parse(cfg));
                });
            });
        },
        /* For tests and the benchmark: what the page shows. */
        state: function () {
            var colours = {};
            Object.keys(units).forEach(function (k) {
                colours[k] = units[k].marker.options.fillColor;
            });
            return {
                ready: config !== null,
                units: Object.keys(units).length,
                incidents: Object.keys(incidents).length,
                applied: applied,
                unit_colours: colours,
                centre: map ? [map.getCenter().lat, map.getCenter().lng] : null,
            };
        },
        position: function (id) {
            var entry = units[id];
            if (!entry) {
                return null;
            }
            var at = entry.marker.getLatLng();
            return [at.lat, at.lng];
        },
        /* As a click on the symbol does (for tests). */
        click: function (kind, id) {
            var entry = (kind === "unit" ? units : incidents)[id];
            if (entry) {
                entry.marker.fire("click");
            }
            return Boolean(entry);
        },
        focus: function (kind, id) {
            var store = kind === "unit" ? units : incidents;
            var entry = store[id];
            if (!entry) {
                return false;
            }
            map.setView(entry.marker.getLatLng(), Math.max(map.getZoom(), 15));
            entry.marker.openPopup();
            return true;
        },
    };
})();
