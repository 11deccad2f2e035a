// Offline core, shared by the pages and the service worker: IndexedDB (queue, saved modules,
// outcomes), the queue's flush (the server judges every item; a client id makes a replay a
// no-op), and clearing it all at logout.
(function (root) {
  "use strict";
  var DB = "lms-offline", STORES = ["queue", "saved", "outcomes", "meta"], conn = null;
  var same = { credentials: "same-origin", cache: "no-store", redirect: "manual" };

  function open() {
    if (conn) { return conn; }
    conn = new Promise(function (resolve, reject) {
      var req = indexedDB.open(DB, 1);
      req.onupgradeneeded = function () {
        var db = req.result;
        db.createObjectStore("queue", { keyPath: "id" });
        db.createObjectStore("saved", { keyPath: "key" });
        db.createObjectStore("outcomes", { keyPath: "id", autoIncrement: true });
        db.createObjectStore("meta");
      };
      req.onsuccess = function () {
        var db = req.result;
        db.onversionchange = function () { db.close(); conn = null; };  // logout deletes the database
        resolve(db);
      };
      req.onerror = function () { conn = null; reject(req.error); };
    });
    return conn;
  }
  function run(store, mode, fn) {
    return open().then(function (db) {
      return new Promise(function (resolve, reject) {
        var tx = db.transaction(store, mode), result;
        var req = fn(tx.objectStore(store));
        if (req) { req.onsuccess = function () { result = req.result; }; }
        tx.oncomplete = function () { resolve(result); };
        tx.onerror = tx.onabort = function () { reject(tx.error); };
      });
    });
  }
  function all(store) { return run(store, "readonly", function (s) { return s.getAll(); }); }
  function put(store, value, key) { return run(store, "readwrite", function (s) { return s.put(value, key); }); }
  function del(store, key) { return run(store, "readwrite", function (s) { return s.delete(key); }); }
  function get(store, key) { return run(store, "readonly", function (s) { return s.get(key); }); }

  function uuid() {
    if (root.crypto && crypto.randomUUID) { return crypto.randomUUID(); }
    var b = crypto.getRandomValues(new Uint8Array(16)), h = [];
    b[6] = (b[6] & 15) | 64; b[8] = (b[8] & 63) | 128;
    for (var i = 0; i < 16; i++) { h.push((b[i] + 256).toString(16).slice(1)); }
    return h.slice(0, 4).join("") + "-" + h.slice(4, 6).join("") + "-" + h.slice(6, 8).join("") + "-" +
      h.slice(8, 10).join("") + "-" + h.slice(10).join("");
  }

  // Queue a form body (URL-encoded) for a URL; a quiz save replaces older saves of the same
  // attempt (the whole form is sent each time, the newest wins).
  function enqueue(url, body, kind) {
    var params = new URLSearchParams(body);
    var item = { id: params.get("client_id") || uuid(), url: url, kind: kind, at: Date.now(),
                 label: params.get("offline_label") || "" };
    params.set("client_id", item.id);
    item.body = params.toString();
    return get("meta", "user").then(function (user) {
      item.user = user || null;
      return kind === "quiz_save" ? all("queue").then(function (items) {
        return Promise.all(items.filter(function (old) { return old.url === url && old.user === item.user; })
          .map(function (old) { return del("queue", old.id); }));
      }) : null;
    }).then(function () { return put("queue", item); }).then(function () { return item; });
  }

  function mine(store) {
    return Promise.all([all(store), get("meta", "user")]).then(function (r) {
      return r[0].filter(function (x) { return x.user === r[1]; });
    });
  }

  // Send my queued items in order. Stops (keeping the rest) when offline, signed out or the
  // server is busy; an item the server refuses is removed and its reason kept to be shown.
  var flushing = null;
  function flush() {
    if (flushing) { return flushing; }
    flushing = mine("queue").then(function (items) {
      if (!items.length) { return 0; }
      items.sort(function (a, b) { return a.at - b.at; });
      return fetch("/offline/session", same).then(function (r) { return r.ok ? r.json() : null; })
        .then(function (session) {
          if (!session || String(session.user) !== String(items[0].user)) { return 0; }
          var sent = 0;
          return items.reduce(function (chain, item) {
            return chain.then(function (go) {
              if (!go) { return false; }
              var body = new URLSearchParams(item.body);
              body.set("csrf_token", session.csrf);
              return fetch(item.url, { method: "POST", body: body, credentials: "same-origin", redirect: "manual",
                                       headers: { "X-Requested-With": "fetch" } })
                .then(function (r) {
                  if (r.type === "opaqueredirect" || r.status === 401 || r.status === 429 || r.status >= 500) {
                    return false;
                  }
                  return r.json().catch(function () { return {}; }).then(function (data) {
                    sent++;
                    var done = del("queue", item.id);
                    if (r.ok) { return done.then(function () { return true; }); }
                    return done.then(function () {
                      return put("outcomes", { user: item.user, label: item.label, reason: data.reason || "error",
                                               message: data.message || ("HTTP " + r.status), at: Date.now() });
                    }).then(function () { return true; });
                  });
                }, function () { return false; });
            });
          }, Promise.resolve(true)).then(function () { return sent; });
        });
    }).catch(function () { return 0; }).then(function (n) { flushing = null; return n; });
    return flushing;
  }

  // Logout on a shared computer: every cache and the whole database go.
  function clearAll() {
    var closing = conn ? conn.then(function (db) { db.close(); }).catch(function () {}) : Promise.resolve();
    conn = null;
    return closing.then(function () { return caches.keys(); }).then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("lms-") === 0; })
        .map(function (k) { return caches.delete(k); }));
    }).then(function () {
      return new Promise(function (resolve) {
        var req = indexedDB.deleteDatabase(DB);
        req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
      });
    });
  }

  root.LMSOffline = { open: open, all: all, put: put, del: del, get: get, mine: mine, uuid: uuid, same: same,
                      enqueue: enqueue, flush: flush, clearAll: clearAll,
                      setUser: function (id) { return put("meta", String(id), "user"); } };
})(typeof self !== "undefined" ? self : window);
