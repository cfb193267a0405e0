// KOD Außendienst: the field officer's web app on the field API (/v1/).
//
// Every write (status, Notruf, Meldung, OWi, acknowledgement) goes into a queue in IndexedDB
// first, with an Idempotency-Key of its own, and is sent from there: in a dead spot it waits
// ("wartet auf Netz") and is sent later; sent again after a lost answer, the server returns the
// first answer and stores nothing twice. Position fixes are kept in IndexedDB too (a reload or
// a closed tab in a dead spot loses none) and go into the queue as batches, each with its key.
// Everything from the server goes into the page as text.
"use strict";

const API = new URL("../v1/", document.baseURI);
const TOKEN_KEY = "kod-field-token";
const DB_NAME = "kod-field";
const STORE = "outbox";
// Position fixes not yet in a queued batch (the newest MAX_FIXES).
const FIXES = "fixes";
const MAX_FIXES = 100;
const RETRY_MS = 20000;
const POSITION_MS = 30000;
const INBOX_MS = 60000;
const NOTRUF_ARM_MS = 5000;

const STATUS_TEXT = {
  "0": "Priorisierter Sprechwunsch",
  "1": "Einsatzbereit über Funk",
  "2": "Auf Wache",
  "3": "Einsatz übernommen",
  "4": "Am Einsatzort",
  "5": "Sprechwunsch",
  "6": "Nicht einsatzbereit",
  N: "NOTRUF",
};
const KIND_TEXT = {
  status: "Status", report: "Meldung", offence: "OWi", ack: "Bestätigung", positions: "Positionen",
};

const $ = (id) => document.getElementById(id);

const state = {
  token: null,
  device: null,
  flushing: false,
  again: false,
  sending: null,
  lastFix: null,
  watch: null,
  socket: null,
  cursor: 0,
  timers: [],
  notrufArmed: null,
  entry: null,
  searchSeq: 0,
};

// --- small helpers ----------------------------------------------------------------------------

function show(el, text, kind) {
  el.textContent = text;
  el.className = "message" + (kind ? " " + kind : "");
  el.hidden = !text;
}

let toastTimer = null;

function toast(text, kind) {
  show($("toast"), text, kind);
  clearTimeout(toastTimer);
  if (kind !== "error") {
    toastTimer = setTimeout(() => show($("toast"), ""), 10000);
  }
}

function clock(iso) {
  const d = iso ? new Date(iso) : new Date();
  return d.toLocaleTimeString("de-DE", { hour: "2-digit", minute: "2-digit" });
}

function newKey() {
  if (self.crypto && crypto.randomUUID) {
    return crypto.randomUUID();
  }
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}

class ApiFailure extends Error {
  constructor(status, message, field, code) {
    super(message);
    this.status = status;
    this.field = field;
    this.code = code;
  }
}

async function errorOf(answer) {
  let message = "Die Leitstelle hat die Anfrage abgelehnt (" + answer.status + ").";
  let field = null;
  let code = null;
  try {
    const body = await answer.json();
    if (body && body.error && body.error.message) {
      message = String(body.error.message);
      field = body.error.field || null;
      code = body.error.code || null;
    }
  } catch (e) {
    // not JSON: keep the general message
  }
  return new ApiFailure(answer.status, message, field, code);
}

// fetch throws a TypeError when there is no network: that is the dead spot.
async function call(method, path, options) {
  const opts = options || {};
  const headers = { Authorization: "Bearer " + (opts.token || state.token) };
  let body;
  if (opts.json !== undefined) {
    headers["Content-Type"] = "application/json";
    body = JSON.stringify(opts.json);
  } else if (opts.form) {
    body = new FormData();
    for (const [name, value] of opts.form) {
      if (value instanceof Blob) {
        body.append(name, value, value.name || "foto.jpg");
      } else {
        body.append(name, value);
      }
    }
  }
  if (opts.key) {
    headers["Idempotency-Key"] = opts.key;
  }
  const answer = await fetch(new URL(path, API), { method, headers, body, cache: "no-store" });
  if (!answer.ok) {
    throw await errorOf(answer);
  }
  return answer.json();
}

// --- the queue in IndexedDB --------------------------------------------------------------------

let dbPromise = null;

function openDb() {
  if (!dbPromise) {
    dbPromise = new Promise((resolve, reject) => {
      const request = indexedDB.open(DB_NAME, 2);
      request.onupgradeneeded = () => {
        // Version 1 had the outbox only; its queued items stay.
        const db = request.result;
        if (!db.objectStoreNames.contains(STORE)) {
          db.createObjectStore(STORE, { keyPath: "key" });
        }
        if (!db.objectStoreNames.contains(FIXES)) {
          db.createObjectStore(FIXES, { autoIncrement: true });
        }
      };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
  }
  return dbPromise;
}

async function store(mode, work) {
  return transact([STORE], mode, (tx) => work(tx.objectStore(STORE)));
}

// One transaction over several stores: all of it happens, or none.
async function transact(names, mode, work) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(names, mode);
    const result = work(tx);
    tx.oncomplete = () => resolve(result && "result" in result ? result.result : undefined);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error);
  });
}

async function queued() {
  const items = (await store("readonly", (s) => s.getAll())) || [];
  return items.sort((a, b) => a.created - b.created);
}

// Every item keeps the log-in it was captured under: it is sent with that token (the server
// keeps the Idempotency-Key per device, and the officer who captured it is its author), never
// under someone else's log-in after a log-out.
function queueItem(kind, path, payload, label) {
  return {
    key: newKey(), kind, path, created: Date.now(), label, ...payload,
    token: state.token,
    officer: state.device ? state.device.officer : null,
    officerName: state.device ? state.device.officer_name : null,
  };
}

async function enqueue(kind, path, payload, label) {
  const item = queueItem(kind, path, payload, label);
  await store("readwrite", (s) => s.put(item));
  flush(); // shows the queue when it is done: an item on its way is not "waiting"
  return item.key;
}

async function dequeue(key) {
  await store("readwrite", (s) => s.delete(key));
}

async function showQueue() {
  const items = await queued();
  // Positions go by themselves; the officer's count is of their own writes.
  const n = items.filter((i) => i.key !== state.sending && i.kind !== "positions").length;
  $("queue-bar").hidden = n === 0;
  $("queue").textContent = "wartet auf Netz (" + n + ")";
  const login = $("login-queue");
  login.hidden = n === 0;
  login.textContent = n === 1
    ? "1 Eintrag wartet noch; er wird unter der Anmeldung gesendet, mit der er erfasst wurde."
    : n + " Einträge warten noch; jeder wird unter der Anmeldung gesendet, mit der er erfasst wurde.";
  const pendingStatus = items.filter((i) => i.kind === "status").map((i) => i.json.status);
  for (const button of document.querySelectorAll("button.status")) {
    button.classList.toggle("pending", pendingStatus.includes(button.dataset.status));
  }
  return n;
}

// Sends the queue oldest first; stops at the first item that cannot be sent now.
async function flush() {
  if (state.flushing) {
    state.again = true;
    return;
  }
  state.flushing = true;
  try {
    do {
      state.again = false;
      for (const item of await queued()) {
        if (!(await sendOne(item))) {
          break;
        }
      }
    } while (state.again);
  } finally {
    state.flushing = false;
    await showQueue();
  }
}

// The officer of the current log-in, if known.
function currentOfficer() {
  return state.device ? state.device.officer : null;
}

async function sendOne(item) {
  const token = item.token || state.token;
  if (!token) {
    return true; // captured with no log-in known: kept for the next log-in
  }
  state.sending = item.key;
  try {
    const answer = await call("POST", item.path, {
      json: item.json, form: item.form, key: item.key, token,
    });
    state.sending = null;
    await dequeue(item.key);
    online(true);
    delivered(item, answer);
    return true;
  } catch (error) {
    state.sending = null;
    if (!(error instanceof ApiFailure)) {
      online(false);
      waiting(item);
      return false;
    }
    online(true);
    if (error.status === 401 && token === state.token) {
      loggedOut(error.message);
      return false;
    }
    if (error.status === 401) {
      // The log-in it was captured under is gone (revoked, or replaced by a new device key).
      // The same officer's current log-in may send it; anyone else's never does.
      if (state.token && item.officer && item.officer === currentOfficer()) {
        item.token = state.token;
        await store("readwrite", (s) => s.put(item));
        return sendOne(item);
      }
      return true; // kept for its officer; the next items go on
    }
    if (error.status === 409 && error.code === "answer_not_kept") {
      // Stored the first time it was sent; only its (very large) answer was not kept.
      await dequeue(item.key);
      toast((KIND_TEXT[item.kind] || "Eintrag") + ": " + error.message);
      return true;
    }
    if (error.status === 409 && error.code === "outcome_unknown") {
      // The service was cut off while storing it: not sent again, the officer asks the desk.
      await dequeue(item.key);
      refused(item, error.message);
      return true;
    }
    if (error.status === 409 || error.status === 429 || error.status >= 500) {
      waiting(item);
      return false; // the server is busy or the first copy still running: later
    }
    // Refused for good (e.g. a field not valid): keep the officer informed, drop the item.
    await dequeue(item.key);
    refused(item, error.message);
    return true;
  }
}

// --- what the answers mean for the page --------------------------------------------------------

function delivered(item, answer) {
  if (item.kind === "status") {
    setCurrentStatus(answer.status);
    if (answer.status === "N") {
      const el = $("notruf-state");
      el.textContent = "NOTRUF GESENDET um " + clock(answer.status_changed_at) + " – die Leitstelle ist alarmiert.";
      el.className = "notruf-state";
      el.hidden = false;
    } else {
      toast("Status " + answer.status + " (" + (STATUS_TEXT[answer.status] || "") + ") gesendet.");
    }
  } else if (item.kind === "report") {
    show($("report-result"), "Meldung " + answer.number + " angenommen (" + answer.photos + " Foto(s)).");
  } else if (item.kind === "offence") {
    show($("owi-result"), "OWi " + answer.number + " erfasst: " + answer.offence + ".");
  } else if (item.kind === "ack") {
    refreshInbox();
  }
}

function waiting(item) {
  if (item.kind === "positions") {
    return;
  }
  if (item.kind === "status" && item.json.status === "N") {
    const el = $("notruf-state");
    el.textContent = "NOTRUF wartet auf Netz – bitte Funk benutzen!";
    el.className = "notruf-state waiting";
    el.hidden = false;
  } else if (item.kind === "report") {
    show($("report-result"), "Meldung gespeichert – wartet auf Netz.", "waiting");
  } else if (item.kind === "offence") {
    show($("owi-result"), "OWi gespeichert – wartet auf Netz.", "waiting");
  }
}

function refused(item, message) {
  if (item.kind === "positions") {
    return; // positions the service does not take (e.g. out of range): nothing to do about them
  }
  const text = (KIND_TEXT[item.kind] || "Eintrag") + " nicht angenommen: " + message;
  if (item.kind === "report") {
    show($("report-result"), text, "error");
  } else if (item.kind === "offence") {
    show($("owi-result"), text, "error");
  } else {
    toast(text, "error");
  }
}

function online(yes) {
  const net = $("net");
  net.textContent = yes ? "Online" : "Offline";
  net.classList.toggle("offline", !yes);
}

function setCurrentStatus(code) {
  $("current-status").textContent = code + " – " + (STATUS_TEXT[code] || "");
  for (const button of document.querySelectorAll("button.status")) {
    button.classList.toggle("current", button.dataset.status === code);
  }
}

// --- log-in ------------------------------------------------------------------------------------

async function logIn(token, quiet) {
  try {
    const device = await call("GET", "device", { token });
    state.token = token;
    state.device = device;
    localStorage.setItem(TOKEN_KEY, token);
    online(true);
    startSession();
  } catch (error) {
    if (error instanceof ApiFailure) {
      if (error.status === 401) {
        loggedOut(error.message);
      } else if (!quiet) {
        show($("login-message"), error.message, "error");
      }
      return;
    }
    if (quiet) {
      // A dead spot at start: work with the stored token; the queue waits for the network.
      state.token = token;
      state.device = null;
      online(false);
      startSession();
    } else {
      show($("login-message"), "Keine Verbindung zur Leitstelle. Bitte später erneut versuchen.", "error");
    }
  }
}

function loggedOut(message) {
  stopSession();
  state.token = null;
  state.device = null;
  localStorage.removeItem(TOKEN_KEY);
  $("home").hidden = true;
  $("login").hidden = false;
  $("token").value = "";
  if (message) {
    show($("login-message"), "Abgemeldet: " + message + " Bitte in der Leitstelle einen neuen Geräte-Schlüssel holen.", "error");
  } else {
    show($("login-message"), "");
  }
  showQueue();
}

function showDevice() {
  $("who").textContent = state.device ? state.device.officer_name : "";
  $("unit").textContent = state.device
    ? state.device.unit + " · " + state.device.label
    : "Offline – angemeldet mit gespeichertem Schlüssel";
}

function startSession() {
  $("login").hidden = true;
  $("home").hidden = false;
  show($("login-message"), "");
  showDevice();
  state.timers.push(setInterval(flush, RETRY_MS));
  state.timers.push(setInterval(sendPositions, POSITION_MS));
  state.timers.push(setInterval(refreshInbox, INBOX_MS));
  startPositions();
  connectStream();
  refreshInbox();
  flush();
}

function stopSession() {
  for (const t of state.timers) {
    clearInterval(t);
  }
  state.timers = [];
  if (state.watch !== null) {
    navigator.geolocation.clearWatch(state.watch);
    state.watch = null;
  }
  if (state.socket) {
    const socket = state.socket;
    state.socket = null;
    socket.close();
  }
}

// --- status and Notruf -------------------------------------------------------------------------

function sendStatus(code) {
  const note = null;
  enqueue("status", "status", { json: { status: code, note } }, "Status " + code);
}

function notrufTapped() {
  const button = $("notruf");
  if (state.notrufArmed === null) {
    // The first tap only arms it: a glove brushing the screen sends nothing.
    button.classList.add("armed");
    button.textContent = "NOTRUF: zum Senden erneut tippen";
    state.notrufArmed = setTimeout(disarmNotruf, NOTRUF_ARM_MS);
    return;
  }
  disarmNotruf();
  const el = $("notruf-state");
  el.textContent = "NOTRUF wird gesendet …";
  el.className = "notruf-state waiting";
  el.hidden = false;
  sendStatus("N");
}

function disarmNotruf() {
  if (state.notrufArmed !== null) {
    clearTimeout(state.notrufArmed);
  }
  state.notrufArmed = null;
  const button = $("notruf");
  button.classList.remove("armed");
  button.textContent = "NOTRUF";
}

// Log-out forgets the token (a long one to type again): it too needs a second tap.
let logoutArmed = null;

function logoutTapped() {
  const button = $("logout");
  if (logoutArmed === null) {
    button.textContent = "Wirklich abmelden?";
    logoutArmed = setTimeout(() => {
      logoutArmed = null;
      button.textContent = "Abmelden";
    }, NOTRUF_ARM_MS);
    return;
  }
  clearTimeout(logoutArmed);
  logoutArmed = null;
  button.textContent = "Abmelden";
  loggedOut(null);
}

// --- position ----------------------------------------------------------------------------------

function startPositions() {
  if (!("geolocation" in navigator)) {
    $("position").textContent = "Keine Ortung auf diesem Gerät.";
    return;
  }
  state.watch = navigator.geolocation.watchPosition(
    (fix) => {
      const first = state.lastFix === null;
      state.lastFix = { lat: fix.coords.latitude, lon: fix.coords.longitude };
      $("position").textContent = "Position " + clock() + " (± " + Math.round(fix.coords.accuracy || 0) + " m)";
      keepFix({
        lat: fix.coords.latitude,
        lon: fix.coords.longitude,
        at: new Date(fix.timestamp).toISOString(),
        accuracy_m: Math.min(fix.coords.accuracy || 0, 100000),
      }).then(() => {
        if (first) {
          sendPositions();
        }
      });
    },
    () => {
      $("position").textContent = "Ortung nicht möglich – bitte Standortfreigabe prüfen.";
    },
    { enableHighAccuracy: true, maximumAge: 10000, timeout: 30000 }
  );
}

// A fix is kept in IndexedDB at once (the newest MAX_FIXES), not only in the page.
async function keepFix(fix) {
  await transact([FIXES], "readwrite", (tx) => {
    const fixes = tx.objectStore(FIXES);
    fixes.add(fix);
    const count = fixes.count();
    count.onsuccess = () => {
      let extra = count.result - MAX_FIXES;
      if (extra <= 0) {
        return;
      }
      fixes.openCursor().onsuccess = (event) => {
        const cursor = event.target.result;
        if (cursor && extra > 0) {
          cursor.delete();
          extra -= 1;
          cursor.continue();
        }
      };
    };
  });
}

// The fixes kept so far become one queued write with its own Idempotency-Key — in the same
// transaction that takes them out of FIXES, so a fix is in exactly one batch — and the queue
// is sent. While a batch still waits, new fixes wait beside it: a batch that may have been
// sent already never changes (the server compares its content with the first sending).
async function sendPositions() {
  if (!state.token) {
    return;
  }
  await transact([STORE, FIXES], "readwrite", (tx) => {
    const outbox = tx.objectStore(STORE);
    const items = outbox.getAll();
    items.onsuccess = () => {
      if (items.result.some((i) => i.kind === "positions")) {
        return;
      }
      const fixes = tx.objectStore(FIXES);
      const kept = fixes.getAll();
      kept.onsuccess = () => {
        if (kept.result.length === 0) {
          return;
        }
        outbox.put(queueItem("positions", "positions", { json: { positions: kept.result } }, "Positionen"));
        fixes.clear();
      };
    };
  });
  await flush();
}

// --- Aufträge ----------------------------------------------------------------------------------

async function refreshInbox() {
  if (!state.token) {
    return;
  }
  try {
    const inbox = await call("GET", "inbox");
    state.cursor = Math.max(state.cursor, inbox.cursor);
    renderInbox(inbox.items);
    online(true);
    if (!state.device) {
      // Started in a dead spot: now the officer and the unit can be shown.
      state.device = await call("GET", "device");
      showDevice();
    }
  } catch (error) {
    if (error instanceof ApiFailure && error.status === 401) {
      loggedOut(error.message);
    }
  }
}

function renderInbox(items) {
  const list = $("inbox-list");
  list.replaceChildren();
  let fresh = 0;
  for (const item of items) {
    const li = document.createElement("li");
    li.dataset.kind = item.kind;
    li.dataset.id = String(item.id);
    const title = document.createElement("div");
    title.className = "title";
    title.textContent = (item.kind === "incident" ? "Einsatz " : "Auftrag ") + item.number + ": " + item.title;
    li.append(title);
    for (const line of [item.address, item.description, item.due_at ? "fällig " + new Date(item.due_at).toLocaleString("de-DE") : ""]) {
      if (line) {
        const p = document.createElement("div");
        p.textContent = line;
        li.append(p);
      }
    }
    const button = document.createElement("button");
    button.type = "button";
    if (item.acknowledged_at) {
      button.textContent = "Empfang bestätigt " + clock(item.acknowledged_at);
      button.disabled = true;
    } else {
      fresh += 1;
      li.classList.add("new");
      button.textContent = "Empfang bestätigen";
      button.addEventListener("click", () => {
        button.disabled = true;
        button.textContent = "Bestätigung wird gesendet …";
        enqueue("ack", "inbox/" + item.kind + "/" + item.id + "/ack", {}, "Bestätigung");
      });
    }
    li.append(button);
    list.append(li);
  }
  $("inbox-empty").hidden = items.length > 0;
  const badge = $("inbox-count");
  badge.textContent = String(fresh);
  badge.hidden = fresh === 0;
}

function connectStream() {
  if (!state.token || state.socket || !("WebSocket" in self)) {
    return;
  }
  const url = new URL("stream", API);
  url.protocol = url.protocol === "https:" ? "wss:" : "ws:";
  let socket;
  try {
    socket = new WebSocket(url);
  } catch (e) {
    return;
  }
  state.socket = socket;
  socket.addEventListener("open", () => {
    socket.send(JSON.stringify({ token: state.token, after: state.cursor }));
  });
  socket.addEventListener("message", (event) => {
    let message;
    try {
      message = JSON.parse(event.data);
    } catch (e) {
      return;
    }
    if (message.type === "inbox") {
      state.cursor = Math.max(state.cursor, message.cursor || 0);
      renderInbox(message.items || []);
      online(true);
    }
  });
  socket.addEventListener("close", (event) => {
    if (state.socket !== socket) {
      return; // closed by log-out
    }
    state.socket = null;
    if (event.code === 4401) {
      loggedOut(event.reason || "Das Gerät ist nicht mehr angemeldet.");
      return;
    }
    setTimeout(connectStream, 5000);
  });
}

// --- Meldung -----------------------------------------------------------------------------------

function photoNote(input, out) {
  const n = input.files.length;
  out.textContent = n ? n + " Foto(s) ausgewählt" : "";
}

async function sendReport() {
  const subject = $("report-subject").value.trim();
  if (!subject) {
    show($("report-result"), "Bitte einen Betreff eingeben.", "error");
    $("report-subject").focus();
    return;
  }
  const form = [
    ["subject", subject],
    ["text", $("report-text").value],
    ["address", $("report-address").value.trim()],
  ];
  if (state.lastFix) {
    form.push(["lat", String(state.lastFix.lat)], ["lon", String(state.lastFix.lon)]);
  }
  for (const file of $("report-photo").files) {
    form.push(["photos", file]);
  }
  show($("report-result"), "Meldung wird gesendet …", "waiting");
  await enqueue("report", "reports", { form }, "Meldung");
  for (const id of ["report-subject", "report-text", "report-address", "report-photo"]) {
    $(id).value = "";
  }
  $("report-photos").textContent = "";
}

// --- OWi ---------------------------------------------------------------------------------------

async function searchCatalogue() {
  const q = $("owi-search").value.trim();
  const seq = ++state.searchSeq;
  const list = $("owi-results");
  if (!q) {
    list.replaceChildren();
    return;
  }
  let found;
  try {
    found = await call("GET", "catalogue?q=" + encodeURIComponent(q));
  } catch (error) {
    if (seq === state.searchSeq) {
      const li = document.createElement("li");
      li.textContent = error instanceof ApiFailure ? error.message : "Keine Verbindung – Suche nicht möglich.";
      list.replaceChildren(li);
    }
    return;
  }
  if (seq !== state.searchSeq) {
    return; // an older answer
  }
  list.replaceChildren();
  if (found.length === 0) {
    const li = document.createElement("li");
    li.textContent = "Kein Tatbestand gefunden.";
    list.append(li);
  }
  for (const entry of found.slice(0, 15)) {
    const li = document.createElement("li");
    const button = document.createElement("button");
    button.type = "button";
    button.dataset.entry = String(entry.id);
    button.textContent = (entry.catalogue_number ? entry.catalogue_number + " · " : "") + entry.description;
    button.addEventListener("click", () => chooseEntry(entry));
    li.append(button);
    list.append(li);
  }
}

function chooseEntry(entry) {
  state.entry = entry;
  const el = $("owi-entry");
  el.textContent = "Tatbestand: " + entry.description + " (" + entry.legal_basis + ")";
  el.hidden = false;
  $("owi-results").replaceChildren();
  $("owi-search").value = "";
}

function localIso(value) {
  // "2026-12-06T10:15" in the device's zone, with its offset (the API wants a time zone).
  const d = value ? new Date(value) : new Date();
  const off = -d.getTimezoneOffset();
  const sign = off >= 0 ? "+" : "-";
  const pad = (n) => String(Math.floor(Math.abs(n))).padStart(2, "0");
  return (
    d.getFullYear() + "-" + pad(d.getMonth() + 1) + "-" + pad(d.getDate()) + "T" +
    pad(d.getHours()) + ":" + pad(d.getMinutes()) + ":00" + sign + pad(off / 60) + ":" + pad(off % 60)
  );
}

async function sendOffence() {
  const out = $("owi-result");
  const required = [
    ["owi-act", "die Tatbeschreibung"],
    ["owi-place", "den Tatort"],
    ["owi-last", "den Namen der betroffenen Person"],
    ["owi-address", "die Anschrift"],
  ];
  if (!state.entry) {
    show(out, "Bitte zuerst einen Tatbestand suchen und auswählen.", "error");
    $("owi-search").focus();
    return;
  }
  for (const [id, what] of required) {
    if (!$(id).value.trim()) {
      show(out, "Bitte " + what + " eingeben.", "error");
      $(id).focus();
      return;
    }
  }
  const form = [
    ["catalogue_entry_id", String(state.entry.id)],
    ["act_description", $("owi-act").value.trim()],
    ["committed_at", localIso($("owi-time").value)],
    ["place", $("owi-place").value.trim()],
    ["culpability", $("owi-culpability").value],
    ["last_name", $("owi-last").value.trim()],
    ["first_name", $("owi-first").value.trim()],
    ["address", $("owi-address").value.trim()],
  ];
  if ($("owi-birth").value) {
    form.push(["birth_date", $("owi-birth").value]);
  }
  if (state.lastFix) {
    form.push(["lat", String(state.lastFix.lat)], ["lon", String(state.lastFix.lon)]);
  }
  for (const file of $("owi-photo").files) {
    form.push(["photos", file]);
  }
  show(out, "OWi wird gesendet …", "waiting");
  await enqueue("offence", "offences", { form }, "OWi");
  for (const id of ["owi-act", "owi-place", "owi-time", "owi-last", "owi-first", "owi-birth", "owi-address", "owi-photo"]) {
    $(id).value = "";
  }
  $("owi-photos").textContent = "";
  state.entry = null;
  $("owi-entry").hidden = true;
}

// --- wiring ------------------------------------------------------------------------------------

function showPanel(id) {
  for (const tab of document.querySelectorAll(".tab")) {
    tab.setAttribute("aria-selected", String(tab.dataset.panel === id));
  }
  for (const panel of document.querySelectorAll(".panel")) {
    panel.hidden = panel.id !== id;
  }
}

function debounce(fn, ms) {
  let timer = null;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}

function wire() {
  $("login-button").addEventListener("click", () => {
    const token = $("token").value.trim();
    if (!token.startsWith("kodf_")) {
      show($("login-message"), "Der Geräte-Schlüssel beginnt mit „kodf_“. Bitte vollständig eingeben.", "error");
      return;
    }
    logIn(token, false);
  });
  $("token").addEventListener("keydown", (event) => {
    if (event.key === "Enter") {
      $("login-button").click();
    }
  });
  $("logout").addEventListener("click", logoutTapped);
  $("send-now").addEventListener("click", () => flush());
  for (const tab of document.querySelectorAll(".tab")) {
    tab.addEventListener("click", () => showPanel(tab.dataset.panel));
  }
  for (const button of document.querySelectorAll("button.status")) {
    button.addEventListener("click", () => sendStatus(button.dataset.status));
  }
  $("notruf").addEventListener("click", notrufTapped);
  $("report-photo").addEventListener("change", () => photoNote($("report-photo"), $("report-photos")));
  $("owi-photo").addEventListener("change", () => photoNote($("owi-photo"), $("owi-photos")));
  $("report-send").addEventListener("click", sendReport);
  $("owi-send").addEventListener("click", sendOffence);
  $("owi-search").addEventListener("input", debounce(searchCatalogue, 300));
  self.addEventListener("online", () => {
    online(true);
    flush();
    sendPositions();
    refreshInbox();
  });
  self.addEventListener("offline", () => online(false));
}

function start() {
  wire();
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("sw.js").catch(() => {
      // without it the app works, only not from a dead spot
    });
  }
  const token = localStorage.getItem(TOKEN_KEY);
  if (token) {
    logIn(token, true);
  } else {
    $("login").hidden = false;
    showQueue();
  }
}

start();
