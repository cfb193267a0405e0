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
    /* Everything the page knows of each unit (also of those without a position). */
    var unitItems = {};
    var incidents = {};
    var layers = {};
    var applied = 0;
    /* Milliseconds each update took to apply (parse included), for the benchmark; bounded. */
    var applyMs = [];
    /* Further layers (layers.js) hook in through kodMap.extend(): start(api) once the page has
     * its config, apply(data) with every update. */
    var extensions = [];

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

    /* Call-sign labels of the units: one plain element each, placed by a transform. Leaflet's
     * permanent tooltips measure themselves on every move (a forced layout per marker), which
     * made one tick of a few hundred moving units take 100 ms; these only write. Where more
     * than config.label_limit units are in view the labels are hidden (a mass of overlapping
     * names helps nobody, and keeping them in place is most of the page's work per tick):
     * zooming in shows them. Below that limit, a label that would cover one already drawn
     * gives way (units in Notruf are drawn first, so theirs never does); its unit's symbol
     * stays and its popup names it. */
    function createLabels(cls) {
        var Labels = L.Layer.extend({
            initialize: function (cls) {
                this._cls = cls;
                this._entries = {};
                this._shown = true;
            },
            onAdd: function (map) {
                this._box = L.DomUtil.create("div", "leaflet-zoom-hide", map.getPane("tooltipPane"));
                Object.keys(this._entries).forEach(function (k) {
                    this._box.appendChild(this._entries[k].el);
                }, this);
                map.on("zoomend viewreset", this._placeAll, this);
                map.on("moveend", this.refresh, this);
                this._shown = false;
                this.refresh();
            },
            onRemove: function (map) {
                map.off("zoomend viewreset", this._placeAll, this);
                map.off("moveend", this.refresh, this);
                L.DomUtil.remove(this._box);
                this._box = null;
            },
            /* Show the labels if few enough units are in view, else hide them. */
            refresh: function () {
                if (!this._map || !this._box) {
                    return;
                }
                var view = this._map.getBounds();
                var inView = 0;
                var limit = config.label_limit;
                Object.keys(this._entries).forEach(function (k) {
                    if (inView <= limit && view.contains(this._entries[k].at)) {
                        inView += 1;
                    }
                }, this);
                var show = inView <= limit;
                if (show !== this._shown) {
                    this._shown = show;
                    this._box.style.display = show ? "" : "none";
                    if (show) {
                        this._placeAll();
                    }
                }
                if (show) {
                    this._declutter(view);
                }
            },
            /* Hide the labels that would overlap one drawn before them (in rank order), using
             * a grid of screen cells so that each label is compared only with its neighbours. */
            _declutter: function (view) {
                if (this._cw === undefined) {
                    return; // nothing measured yet: no label has been laid out
                }
                var cell = 64;
                var grid = {};
                var height = -2 * (this._dy || -8);
                var entries = Object.keys(this._entries).map(function (k) {
                    return this._entries[k];
                }, this).filter(function (e) {
                    return view.contains(e.at);
                });
                entries.sort(function (a, b) {
                    return a.rank - b.rank || (a.text < b.text ? -1 : a.text > b.text ? 1 : 0);
                });
                entries.forEach(function (e) {
                    var p = this._map.latLngToContainerPoint(e.at);
                    var box = [p.x + 10, p.y - height / 2, p.x + 10 + e.text.length * this._cw + 6, p.y + height / 2];
                    var cells = [];
                    for (var cx = Math.floor(box[0] / cell); cx <= Math.floor(box[2] / cell); cx++) {
                        for (var cy = Math.floor(box[1] / cell); cy <= Math.floor(box[3] / cell); cy++) {
                            cells.push(cx + ":" + cy);
                        }
                    }
                    var free = cells.every(function (key) {
                        return !(grid[key] || []).some(function (o) {
                            return box[0] < o[2] && o[0] < box[2] && box[1] < o[3] && o[1] < box[3];
                        });
                    });
                    if (free) {
                        cells.forEach(function (key) {
                            (grid[key] = grid[key] || []).push(box);
                        });
                    }
                    if (e.hidden === free) {
                        e.hidden = !free;
                        e.el.style.visibility = free ? "" : "hidden";
                    }
                }, this);
            },
            /* How many labels are drawn (in view and not giving way to another). */
            visibleCount: function () {
                if (!this.shown()) {
                    return 0;
                }
                var view = this._map.getBounds();
                return Object.keys(this._entries).filter(function (k) {
                    var e = this._entries[k];
                    return !e.hidden && view.contains(e.at);
                }, this).length;
            },
            shown: function () {
                return Boolean(this._box) && this._shown;
            },
            /* rank: lower is drawn first when labels crowd (0 for a unit in Notruf). */
            set: function (id, at, value, rank) {
                var entry = this._entries[id];
                if (!entry) {
                    entry = { el: text("div", value, "leaflet-tooltip kod-label " + this._cls), text: value, hidden: false };
                    this._entries[id] = entry;
                    if (this._box) {
                        this._box.appendChild(entry.el);
                    }
                } else if (entry.text !== value) {
                    entry.el.textContent = value;
                    entry.text = value;
                }
                entry.at = at;
                entry.rank = rank || 0;
                this._place(entry);
            },
            drop: function (id) {
                var entry = this._entries[id];
                if (entry) {
                    L.DomUtil.remove(entry.el);
                    delete this._entries[id];
                }
            },
            clear: function () {
                Object.keys(this._entries).forEach(this.drop, this);
            },
            _place: function (entry) {
                if (this._map && this._box && this._shown) {
                    if (this._dy === undefined && entry.el.offsetHeight) {
                        // Measured once (all labels are one line high): centred beside the dot.
                        this._dy = -Math.round(entry.el.offsetHeight / 2);
                        // The average width of a character of the (bold) label font.
                        this._cw = Math.max(4, (entry.el.offsetWidth - 6) / Math.max(1, entry.text.length));
                    }
                    var p = this._map.latLngToLayerPoint(entry.at);
                    L.DomUtil.setPosition(entry.el, p.add([10, this._dy || -8]));
                }
            },
            _placeAll: function () {
                Object.keys(this._entries).forEach(function (k) {
                    this._place(this._entries[k]);
                }, this);
            },
        });
        return new Labels(cls);
    }

    function styleKey(st) {
        return [st.radius, st.color, st.weight, st.fillColor, st.fillOpacity, st.opacity, st.dashArray].join("|");
    }

    function restyleEntry(entry, style) {
        var st = style(entry.item);
        var key = styleKey(st);
        if (entry.styleKey !== key) {
            entry.marker.setStyle(st);
            entry.styleKey = key;
        }
    }

    /* Which unit labels win when they crowd: Notruf first, then units on the way or at a
     * scene, then the rest. */
    function labelRank(item) {
        return item.status === "N" ? 0 : item.status === "3" || item.status === "4" ? 1 : 2;
    }

    function place(store, layer, item, style, label, popup, kind) {
        var entry = store[item.id];
        var at = [item.lat, item.lon];
        if (!entry) {
            var st = style(item);
            var marker = L.circleMarker(at, st);
            entry = { marker: marker, item: item, styleKey: styleKey(st) };
            if (kind === "unit") {
                layers.unitLabels.set(item.id, at, label(item), labelRank(item));
            } else {
                marker.bindTooltip(text("span", label(item)), {
                    permanent: true,
                    direction: "right",
                    offset: [8, 0],
                    className: "kod-label kod-label-" + kind,
                });
            }
            // Built when opened (and again while open), not on every update.
            marker.bindPopup(function () {
                return popup(entry.item);
            });
            marker.on("click", function () {
                if (bridge) {
                    bridge.selected(kind, item.id);
                }
            });
            marker.addTo(layer);
            store[item.id] = entry;
            return;
        }
        var previous = entry.item;
        entry.item = item;
        if (previous.lat !== item.lat || previous.lon !== item.lon) {
            entry.marker.setLatLng(at);
        }
        restyleEntry(entry, style);
        if (kind === "unit") {
            layers.unitLabels.set(item.id, at, label(item), labelRank(item));
        } else if (label(previous) !== label(item)) {
            entry.marker.setTooltipContent(text("span", label(item)));
        }
        if (entry.marker.isPopupOpen()) {
            entry.marker.setPopupContent(popup(item));
        }
    }

    function remove(store, layer, id) {
        var entry = store[id];
        if (entry) {
            layer.removeLayer(entry.marker);
            delete store[id];
        }
        if (store === units) {
            layers.unitLabels.drop(id);
        }
    }

    function clear(store, layer) {
        Object.keys(store).forEach(function (k) {
            remove(store, layer, k);
        });
    }

    function apply(data) {
        if (data.reset) {
            unitItems = {};
            clear(units, layers.units);
            clear(incidents, layers.incidents);
        }
        (data.units || []).forEach(function (change) {
            // A unit the page has comes with only the fields that changed.
            var u = Object.assign({}, unitItems[change.id], change);
            unitItems[u.id] = u;
            if (u.lat === null || u.lon === null) {
                remove(units, layers.units, u.id);
            } else {
                place(units, layers.units, u, unitStyle, function (x) {
                    return x.call_sign;
                }, unitPopup, "unit");
            }
        });
        (data.removed_units || []).forEach(function (id) {
            delete unitItems[id];
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
        layers.unitLabels.refresh();
        applied += 1;
    }

    function restyle() {
        Object.keys(units).forEach(function (k) {
            restyleEntry(units[k], unitStyle);
        });
        Object.keys(incidents).forEach(function (k) {
            restyleEntry(incidents[k], incidentStyle);
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

    function addLegend(extra) {
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
            extra.forEach(function (line) {
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
        // Shown and hidden with the units.
        layers.unitLabels = createLabels("kod-label-unit").addTo(map);
        layers.units.on("add", function () {
            layers.unitLabels.addTo(map);
        });
        layers.units.on("remove", function () {
            layers.unitLabels.remove();
        });
        layers.incidents = L.featureGroup().addTo(map);
        layers.stadtteilLabels = L.layerGroup();
        var overlays = {};
        overlays[config.texts.units] = layers.units;
        overlays[config.texts.incidents] = layers.incidents;
        if (layers.stadtteile) {
            var outlines = L.layerGroup([layers.stadtteile, layers.stadtteilLabels]).addTo(map);
            overlays[config.texts.stadtteile] = outlines;
        }
        var api = { map: map, config: config, bridge: bridge, overlays: overlays, legend: [], text: text };
        extensions.forEach(function (ext) {
            ext.start(api);
        });
        // In a small dock the list folds into Leaflet's layers button (open on hover or tap).
        L.control.layers(null, overlays, { collapsed: map.getSize().y < 560 }).addTo(map);
        addStadtteilLabels(layers.stadtteilLabels);
        addLegend(api.legend);
        window.setInterval(restyle, 10000);
        bridge.update.connect(function (payload) {
            var started = performance.now();
            var data = JSON.parse(payload);
            apply(data);
            if (applyMs.length < 10000) {
                applyMs.push(performance.now() - started);
            }
            extensions.forEach(function (ext) {
                ext.apply(data);
            });
        });
        bridge.ready();
    }

    window.kodMap = {
        /* A further layer: {start: function (api), apply: function (data)}, before attach. */
        extend: function (extension) {
            extensions.push(extension);
        },
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
                unit_labels: layers.unitLabels ? layers.unitLabels.shown() : false,
                unit_labels_drawn: layers.unitLabels ? layers.unitLabels.visibleCount() : 0,
                unit_colours: colours,
                centre: map ? [map.getCenter().lat, map.getCenter().lng] : null,
            };
        },
        /* Zoom to a level at once (tests); answers the level reached. */
        zoom: function (level) {
            map.setZoom(level, { animate: false });
            return map.getZoom();
        },
        /* The apply times since the last call (for the benchmark). */
        takeApplyTimes: function () {
            var taken = applyMs;
            applyMs = [];
            return taken;
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
