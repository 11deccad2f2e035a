// Offline core for pages and the service worker: IndexedDB, the queue and its flush.
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
    return "10000000-1000-4000-8000-100000000000".replace(/[018]/g, function (c) {
      return (c ^ (crypto.getRandomValues(new Uint8Array(1))[0] & (15 >> (c / 4)))).toString(16);
    });
  }

  // Queue a form body; a quiz save replaces older ones of the attempt (the whole form, newest wins).
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

  // Send my items in order; stop when offline, signed out or busy. Refused: removed, reason kept.
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

  root.LMSOffline = { open: open, all: all, put: put, del: del, get: get, mine: mine, uuid: uuid, same: same,
                      enqueue: enqueue, flush: flush, close: function () { var c = conn; conn = null; return c; },
                      setUser: function (id) { return put("meta", String(id), "user"); } };
})(typeof self !== "undefined" ? self : window);
