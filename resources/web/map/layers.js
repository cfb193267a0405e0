/* Further layers of the situation map: stations, schools, a unit's trail, the units proposed
 * for the selected incident, and picking a call's location with a click.
 *
 * Hooks into situation.js through kodMap.extend(). As there, no HTML is ever built from data:
 * names, labels and notes go through textContent (api.text), so a school called
 * "<img src=x onerror=...>" is shown as exactly that.
 *
 * Python sends, inside the usual update:
 *   trail:     null (hide) or {unit_id, label, points: [[lat, lon], ...], note}
 *   proposals: null (hide) or {incident: [lat, lon], units: [{id, lat, lon, label}]}
 *   pick:      {active, hint} while the call-taking form is open
 *   place:     null (hide) or {lat, lon, label}: a place shown on request (e.g. the Tatort of
 *              an offence case), centred, with its label
 * and hears back bridge.picked(lat, lon) for a click on the map (not on a symbol) while picking.
 */
/* global L, kodMap */
(function () {
    "use strict";

    var api = null;
    var cfg = null;
    var groups = {};
    var trail = { unit_id: null, points: 0, label: "", note: "" };
    var proposals = [];
    var picking = false;
    var placeLabel = null;
    var hint = null;
    var notice = null;

    function placeMarkers(group, places, colour, permanentLabels, kind) {
        places.forEach(function (p, index) {
            var marker = L.circleMarker([p.lat, p.lon], {
                radius: kind === "station" ? 6 : 5,
                color: colour,
                weight: 2,
                fillColor: "#ffffff",
                fillOpacity: kind === "station" ? 1 : 0.8,
            });
            if (permanentLabels) {
                // Laid out with every other label of the map (situation.js).
                api.labels.set(kind + ":" + index, {
                    text: p.name,
                    at: [p.lat, p.lon],
                    rank: api.rank.station,
                    cls: "kod-label-" + kind,
                    dx: 9,
                    group: group,
                });
            } else {
                marker.bindTooltip(api.text("span", p.name), {
                    direction: "right",
                    offset: [7, 0],
                    className: "kod-label kod-label-" + kind,
                });
            }
            var box = api.text("div", "", "kod-popup kod-popup-" + kind);
            box.appendChild(api.text("b", p.name));
            if (p.detail) {
                box.appendChild(api.text("div", p.detail));
            }
            marker.bindPopup(box);
            marker.kodIndex = index;
            marker.addTo(group);
        });
    }

    function legendLine(colour, label, line) {
        var row = api.text("div", "");
        var swatch = api.text("span", "", line ? "kod-swatch kod-swatch-line" : "kod-swatch kod-swatch-ring");
        swatch.style.borderColor = colour;
        row.appendChild(swatch);
        row.appendChild(api.text("span", label));
        return row;
    }

    function box(position, cls) {
        var control = L.control({ position: position });
        var element = api.text("div", "", cls);
        element.style.display = "none";
        control.onAdd = function () {
            return element;
        };
        control.addTo(api.map);
        return element;
    }

    function show(element, value) {
        element.textContent = value || "";
        element.style.display = value ? "" : "none";
    }

    function start(a) {
        api = a;
        cfg = api.config.layers;
        var t = cfg.texts;
        groups.stations = L.featureGroup();
        groups.schools = L.featureGroup();
        groups.trails = L.featureGroup().addTo(api.map);
        groups.proposals = L.featureGroup().addTo(api.map);
        groups.place = L.featureGroup().addTo(api.map);
        placeMarkers(groups.stations, cfg.stations, cfg.colours.station, true, "station");
        placeMarkers(groups.schools, cfg.schools, cfg.colours.school, false, "school");
        api.overlays[t.stations] = groups.stations;
        api.overlays[t.schools] = groups.schools;
        api.overlays[t.trails] = groups.trails;
        api.overlays[t.proposals] = groups.proposals;
        // First in the legend's grid (CSS order); in a small map only this line shows until
        // the pointer rests on the legend.
        api.legend.push(api.text("div", t.legend, "kod-legend-title"));
        api.legend.push(legendLine(cfg.colours.station, t.stations, false));
        api.legend.push(legendLine(cfg.colours.school, t.schools, false));
        api.legend.push(legendLine(cfg.colours.trail, t.trail_legend, true));
        api.legend.push(legendLine(cfg.colours.proposal, t.proposal_legend, true));
        hint = box("topleft", "kod-pick-hint");
        notice = box("topleft", "kod-notice");
        // Every symbol has a popup, and opening it stops the click: only a click on an empty
        // spot reaches the map (the test clicks a unit, then a spot, and counts the picks).
        api.map.on("click", function (e) {
            if (picking && api.bridge) {
                api.bridge.picked(e.latlng.lat, e.latlng.lng);
            }
        });
    }

    function showTrail(data) {
        groups.trails.clearLayers();
        api.labels.drop("trail");
        trail = { unit_id: null, points: 0, label: "", note: "" };
        if (!data) {
            show(notice, "");
            return;
        }
        trail = { unit_id: data.unit_id, points: data.points.length, label: data.label, note: data.note };
        show(notice, data.note);
        if (!data.points.length) {
            return;
        }
        var colour = cfg.colours.trail;
        L.polyline(data.points, { color: colour, weight: 3, opacity: 0.85, interactive: false }).addTo(
            groups.trails
        );
        // The label sits where the trail begins (the unit's own label is at its end).
        var first = L.circleMarker(data.points[0], {
            radius: 3,
            color: colour,
            fillColor: "#ffffff",
            fillOpacity: 1,
        });
        first.addTo(groups.trails);
        api.labels.set("trail", {
            text: data.label,
            at: data.points[0],
            rank: api.rank.incident,
            cls: "kod-label-trail",
            dx: 6,
            group: groups.trails,
        });
    }

    function showProposals(data) {
        groups.proposals.clearLayers();
        proposals = [];
        var keep = {};
        (data ? data.units : []).forEach(function (u) {
            var line = L.polyline([data.incident, [u.lat, u.lon]], {
                color: cfg.colours.proposal,
                weight: 2,
                dashArray: "6 5",
                interactive: false,
            });
            line.addTo(groups.proposals);
            // Mid-way along the line; the same element from tick to tick (no blinking).
            keep["proposal:" + u.id] = true;
            api.labels.set("proposal:" + u.id, {
                text: u.label,
                at: [(data.incident[0] + u.lat) / 2, (data.incident[1] + u.lon) / 2],
                rank: api.rank.proposal,
                cls: "kod-label-distance",
                anchor: "center",
                group: groups.proposals,
            });
            L.circleMarker([u.lat, u.lon], {
                radius: 12,
                color: cfg.colours.proposal,
                weight: 2,
                fill: false,
                interactive: false,
            }).addTo(groups.proposals);
            proposals.push(u.label);
        });
        api.labels.dropAll("proposal:", keep);
    }

    function showPlace(data) {
        groups.place.clearLayers();
        api.labels.drop("place");
        placeLabel = null;
        if (!data) {
            return;
        }
        var marker = L.circleMarker([data.lat, data.lon], {
            radius: 10,
            color: cfg.colours.place,
            weight: 3,
            fillColor: cfg.colours.place,
            fillOpacity: 0.25,
        });
        marker.addTo(groups.place);
        // Asked for: it wins over everything but a unit in Notruf.
        api.labels.set("place", {
            text: data.label,
            at: [data.lat, data.lon],
            rank: api.rank.selected,
            cls: "kod-label-place",
            dx: 13,
            group: groups.place,
        });
        placeLabel = data.label;
        api.map.setView([data.lat, data.lon], Math.max(api.map.getZoom(), 16), { animate: false });
    }

    function setPicking(data) {
        picking = Boolean(data && data.active);
        show(hint, picking ? data.hint : "");
        var container = api.map.getContainer();
        if (picking) {
            container.classList.add("kod-picking");
        } else {
            container.classList.remove("kod-picking");
        }
    }

    function apply(data) {
        if (data.reset) {
            // Units and incidents were sent again: the trail and proposals follow on their own.
            return;
        }
        if ("trail" in data) {
            showTrail(data.trail);
        }
        if ("proposals" in data) {
            showProposals(data.proposals);
        }
        if ("pick" in data) {
            setPicking(data.pick);
        }
        if ("place" in data) {
            showPlace(data.place);
        }
    }

    kodMap.extend({ start: start, apply: apply });

    /* For tests: what the extra layers show, and what the layer control offers. */
    window.kodLayers = {
        state: function () {
            var shown = {};
            Object.keys(groups).forEach(function (k) {
                shown[k] = api !== null && api.map.hasLayer(groups[k]);
            });
            var control = Array.from(document.querySelectorAll(".leaflet-control-layers-overlays label")).map(
                function (label) {
                    var input = label.querySelector("input");
                    return { name: label.textContent.trim(), checked: Boolean(input && input.checked) };
                }
            );
            return {
                shown: shown,
                stations: groups.stations ? groups.stations.getLayers().length : 0,
                schools: groups.schools ? groups.schools.getLayers().length : 0,
                control: control,
                trail: trail,
                place: placeLabel,
                proposals: proposals,
                picking: picking,
            };
        },
        /* As a click on the name in the layer control does. */
        toggle: function (name) {
            var labels = Array.from(document.querySelectorAll(".leaflet-control-layers-overlays label"));
            var label = labels.find(function (l) {
                return l.textContent.trim() === name;
            });
            if (!label) {
                return false;
            }
            label.querySelector("input").click();
            return true;
        },
        openPlace: function (kind, index) {
            var group = kind === "station" ? groups.stations : groups.schools;
            var marker = group.getLayers().find(function (m) {
                return m.kodIndex === index;
            });
            if (!marker) {
                return false;
            }
            marker.openPopup();
            return true;
        },
        /* Where a position is in the map's box, in CSS pixels: [x, y]. */
        point: function (lat, lon) {
            var p = api.map.latLngToContainerPoint([lat, lon]);
            return [p.x, p.y];
        },
        /* As a click on an empty spot of the map does. */
        click: function (lat, lon) {
            api.map.fire("click", { latlng: L.latLng(lat, lon) });
        },
    };
})();
