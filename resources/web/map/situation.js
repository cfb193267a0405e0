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

    /* Which labels win when they crowd (lower first): a unit in Notruf, the selected item (or
     * a place shown on request), overdue or priority-1 incidents, the proposed units'
     * distances, the other incidents (and a trail's start), units on the way or at a scene,
     * the other units, stations. */
    var RANK = { notruf: 0, selected: 1, urgent: 2, proposal: 3, incident: 4, busy: 5, unit: 6, station: 7 };

    /* Every permanent label of the map (call signs, incident numbers, proposal distances,
     * stations, a trail's start, a place): one plain element each, placed by a transform.
     * Leaflet's permanent tooltips measure themselves on every move (a forced layout per
     * marker), which made one tick of a few hundred moving units take 100 ms; these are
     * measured once per text and otherwise only written.
     *
     * After every update and every move of the map the labels are laid out together: in rank
     * order (see RANK), a label that would cover one already drawn gives way; its symbol stays
     * and its popup names it, and zooming in brings it back. Against blinking at 1 Hz: of
     * equal rank, a label already drawn goes first, and a hidden one comes back only with a
     * little room to spare. Where more than config.label_limit units are in view the ordinary
     * call signs are left out altogether (a mass of names helps nobody, and keeping them in
     * place is most of the page's work per tick); those of a unit in Notruf or the selected
     * unit still show. */
    function createLabels() {
        var Labels = L.Layer.extend({
            initialize: function () {
                this._entries = {};
                this._units = true;
                this._selected = null;
            },
            onAdd: function (map) {
                this._box = L.DomUtil.create("div", "leaflet-zoom-hide", map.getPane("tooltipPane"));
                map.on("zoomend viewreset", this._placeAll, this);
                map.on("moveend overlayadd overlayremove", this.refresh, this);
                this.refresh();
            },
            onRemove: function (map) {
                map.off("zoomend viewreset", this._placeAll, this);
                map.off("moveend overlayadd overlayremove", this.refresh, this);
                L.DomUtil.remove(this._box);
                Object.keys(this._entries).forEach(function (k) {
                    var e = this._entries[k];
                    e.attached = false;
                    e.shown = false;
                    e.el.style.display = "none";
                }, this);
                this._box = null;
            },
            /* A label: {text, at: [lat, lon], rank, cls, anchor: "right" (beside a symbol, dx
             * pixels from its centre) or "center", group: the layer it is shown with, unit:
             * true for a call sign}. */
            set: function (key, spec) {
                var e = this._entries[key];
                if (!e) {
                    e = { key: key, text: spec.text, shown: false, attached: false, w: 0, h: 0, spot: 0 };
                    e.el = text("div", spec.text, "leaflet-tooltip kod-label " + spec.cls);
                    e.el.style.display = "none";
                    this._entries[key] = e;
                } else if (e.text !== spec.text) {
                    e.el.textContent = spec.text;
                    e.text = spec.text;
                    e.w = 0; // measured again
                }
                e.at = L.latLng(spec.at);
                e.rank = spec.rank;
                e.anchor = spec.anchor || "right";
                e.dx = spec.dx || 0;
                e.group = spec.group || null;
                e.unit = Boolean(spec.unit);
                if (e.shown) {
                    this._place(e);
                }
            },
            drop: function (key) {
                var e = this._entries[key];
                if (e) {
                    L.DomUtil.remove(e.el);
                    delete this._entries[key];
                }
            },
            /* Drop every label whose key starts with prefix, except those in keep. */
            dropAll: function (prefix, keep) {
                Object.keys(this._entries).forEach(function (k) {
                    if (k.lastIndexOf(prefix, 0) === 0 && !(keep && keep[k])) {
                        this.drop(k);
                    }
                }, this);
            },
            /* The selected item's key ("unit:7", "incident:3") or null. */
            select: function (key) {
                this._selected = key;
                this.refresh();
            },
            _rank: function (e) {
                return e.key === this._selected ? Math.min(e.rank, RANK.selected) : e.rank;
            },
            /* The label's box around point p in place n: beside the symbol on the right, on
             * the left, above, below (a centred label has its one place). */
            _box4: function (e, p, n) {
                var x = p.x;
                var y = p.y;
                if (e.anchor === "center") {
                    return [x - e.w / 2, y - e.h / 2, x + e.w / 2, y + e.h / 2];
                }
                if (n === 1) {
                    return [x - e.dx - e.w, y - e.h / 2, x - e.dx, y + e.h / 2];
                }
                if (n === 2) {
                    return [x - e.w / 2, y - e.dx - e.h + 4, x + e.w / 2, y - e.dx + 4];
                }
                if (n === 3) {
                    return [x - e.w / 2, y + e.dx - 4, x + e.w / 2, y + e.dx - 4 + e.h];
                }
                return [x + e.dx, y - e.h / 2, x + e.dx + e.w, y + e.h / 2];
            },
            /* Decide which labels are drawn, and draw them. */
            refresh: function () {
                if (!this._map || !this._box) {
                    return;
                }
                var map = this._map;
                var view = map.getBounds();
                var all = Object.keys(this._entries).map(function (k) {
                    return this._entries[k];
                }, this);
                var candidates = [];
                var units = 0;
                all.forEach(function (e) {
                    var on = !e.group || map.hasLayer(e.group);
                    if (on !== e.attached) {
                        // A layer switched off takes its labels out of the page.
                        if (on) {
                            this._box.appendChild(e.el);
                        } else {
                            L.DomUtil.remove(e.el);
                        }
                        e.attached = on;
                    }
                    e.candidate = on && view.contains(e.at);
                    if (e.candidate && e.unit) {
                        units += 1;
                    }
                }, this);
                this._units = units <= config.label_limit;
                all.forEach(function (e) {
                    if (e.candidate && (this._units || !e.unit || this._rank(e) < RANK.busy)) {
                        candidates.push(e);
                    }
                }, this);
                // Measure the new texts: all writes first, then all reads (one layout).
                var fresh = candidates.filter(function (e) {
                    return !e.w;
                });
                fresh.forEach(function (e) {
                    if (!e.shown) {
                        e.el.style.visibility = "hidden";
                        e.el.style.display = "";
                    }
                });
                fresh.forEach(function (e) {
                    // Layout sizes (a zoom animation scales what the screen shows), rounded
                    // to whole pixels: one more for what the rounding took.
                    e.w = e.el.offsetWidth + 1;
                    e.h = e.el.offsetHeight + 1;
                });
                fresh.forEach(function (e) {
                    if (!e.shown) {
                        e.el.style.display = "none";
                    }
                    e.el.style.visibility = "";
                });
                var self = this;
                candidates.sort(function (a, b) {
                    return (
                        self._rank(a) - self._rank(b) ||
                        (a.shown === b.shown ? 0 : a.shown ? -1 : 1) ||
                        (a.key < b.key ? -1 : a.key > b.key ? 1 : 0)
                    );
                });
                var cell = 64;
                var grid = {};
                var free = function (test, cells) {
                    return cells.every(function (key) {
                        return !(grid[key] || []).some(function (o) {
                            return test[0] < o[2] && o[0] < test[2] && test[1] < o[3] && o[1] < test[3];
                        });
                    });
                };
                candidates.forEach(function (e) {
                    var p = map.latLngToContainerPoint(e.at);
                    // The place it has first, so that it does not hop about.
                    var order = e.anchor === "center" ? [0] : [e.spot, 0, 1, 2, 3].filter(function (n, i, a) {
                        return a.indexOf(n) === i;
                    });
                    e.draw = false;
                    for (var i = 0; i < order.length && e.w > 0 && !e.draw; i++) {
                        var box = this._box4(e, p, order[i]);
                        // A label not drawn now needs some room to spare to come back.
                        var m = e.shown ? 0.5 : 3;
                        var test = [box[0] - m, box[1] - m, box[2] + m, box[3] + m];
                        var cells = [];
                        for (var cx = Math.floor(test[0] / cell); cx <= Math.floor(test[2] / cell); cx++) {
                            for (var cy = Math.floor(test[1] / cell); cy <= Math.floor(test[3] / cell); cy++) {
                                cells.push(cx + ":" + cy);
                            }
                        }
                        if (free(test, cells)) {
                            e.draw = true;
                            if (e.spot !== order[i]) {
                                e.spot = order[i];
                                e.moved = true;
                            }
                            cells.forEach(function (key) {
                                (grid[key] = grid[key] || []).push(box);
                            });
                        }
                    }
                }, this);
                all.forEach(function (e) {
                    var draw = e.candidate && e.draw === true;
                    e.draw = false;
                    if (draw && (e.moved || !e.shown)) {
                        this._place(e); // a hidden label is not kept in place
                    }
                    e.moved = false;
                    if (draw !== e.shown) {
                        e.shown = draw;
                        e.el.style.display = draw ? "" : "none";
                    }
                }, this);
            },
            /* True unless too many units are in view for their call signs. */
            unitsShown: function () {
                return Boolean(this._box) && this._units;
            },
            /* How many call signs are drawn. */
            drawnUnits: function () {
                return Object.keys(this._entries).filter(function (k) {
                    return this._entries[k].unit && this._entries[k].shown;
                }, this).length;
            },
            _place: function (e) {
                if (this._map && this._box && e.w) {
                    var box = this._box4(e, this._map.latLngToLayerPoint(e.at), e.spot);
                    L.DomUtil.setPosition(e.el, L.point(box[0], box[1]));
                }
            },
            _placeAll: function () {
                Object.keys(this._entries).forEach(function (k) {
                    if (this._entries[k].shown) {
                        this._place(this._entries[k]);
                    }
                }, this);
            },
        });
        return new Labels();
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

    function unitLabel(u) {
        var emergency = u.status === "N";
        return {
            text: u.call_sign,
            at: [u.lat, u.lon],
            rank: emergency ? RANK.notruf : u.status === "3" || u.status === "4" ? RANK.busy : RANK.unit,
            cls: "kod-label-unit",
            dx: emergency ? 15 : 10,
            group: layers.units,
            unit: true,
        };
    }

    function incidentLabel(i) {
        var overdue = i.overdue_at !== null && Date.now() > i.overdue_at;
        return {
            text: i.number,
            at: [i.lat, i.lon],
            rank: overdue || i.priority === 1 ? RANK.urgent : RANK.incident,
            cls: "kod-label-incident",
            dx: overdue ? 13 : 12,
            group: layers.incidents,
        };
    }

    function place(store, layer, item, style, label, popup, kind) {
        var entry = store[item.id];
        var at = [item.lat, item.lon];
        if (!entry) {
            var st = style(item);
            var marker = L.circleMarker(at, st);
            entry = { marker: marker, item: item, styleKey: styleKey(st) };
            // Built when opened (and again while open), not on every update.
            marker.bindPopup(function () {
                return popup(entry.item);
            });
            marker.on("click", function () {
                layers.labels.select(kind + ":" + item.id);
                if (bridge) {
                    bridge.selected(kind, item.id);
                }
            });
            marker.addTo(layer);
            store[item.id] = entry;
        } else {
            var previous = entry.item;
            entry.item = item;
            if (previous.lat !== item.lat || previous.lon !== item.lon) {
                entry.marker.setLatLng(at);
            }
            restyleEntry(entry, style);
            if (entry.marker.isPopupOpen()) {
                entry.marker.setPopupContent(popup(item));
            }
        }
        layers.labels.set(kind + ":" + item.id, label(item));
    }

    function remove(store, layer, id) {
        var entry = store[id];
        if (entry) {
            layer.removeLayer(entry.marker);
            delete store[id];
        }
        layers.labels.drop((store === units ? "unit:" : "incident:") + id);
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
                place(units, layers.units, u, unitStyle, unitLabel, unitPopup, "unit");
            }
        });
        (data.removed_units || []).forEach(function (id) {
            delete unitItems[id];
            remove(units, layers.units, id);
        });
        (data.incidents || []).forEach(function (i) {
            place(incidents, layers.incidents, i, incidentStyle, incidentLabel, incidentPopup, "incident");
        });
        (data.removed_incidents || []).forEach(function (id) {
            remove(incidents, layers.incidents, id);
        });
        extensions.forEach(function (ext) {
            ext.apply(data);
        });
        // Every label laid out once, after all of the update's changes.
        layers.labels.refresh();
        applied += 1;
    }

    function restyle() {
        Object.keys(units).forEach(function (k) {
            restyleEntry(units[k], unitStyle);
        });
        Object.keys(incidents).forEach(function (k) {
            restyleEntry(incidents[k], incidentStyle);
            // An incident that became overdue meanwhile ranks higher.
            layers.labels.set("incident:" + k, incidentLabel(incidents[k].item));
        });
        layers.labels.refresh();
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
        layers.incidents = L.featureGroup().addTo(map);
        layers.labels = createLabels().addTo(map);
        layers.stadtteilLabels = L.layerGroup();
        var overlays = {};
        overlays[config.texts.units] = layers.units;
        overlays[config.texts.incidents] = layers.incidents;
        if (layers.stadtteile) {
            var outlines = L.layerGroup([layers.stadtteile, layers.stadtteilLabels]).addTo(map);
            overlays[config.texts.stadtteile] = outlines;
        }
        var api = {
            map: map,
            config: config,
            bridge: bridge,
            overlays: overlays,
            legend: [],
            text: text,
            labels: layers.labels,
            rank: RANK,
        };
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
                unit_labels: layers.labels ? layers.labels.unitsShown() : false,
                unit_labels_drawn: layers.labels ? layers.labels.drawnUnits() : 0,
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
            layers.labels.select(kind + ":" + id);
            map.setView(entry.marker.getLatLng(), Math.max(map.getZoom(), 15));
            entry.marker.openPopup();
            return true;
        },
    };
})();
