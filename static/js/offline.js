// Offline use in the page: registers the service worker, marks forms with a client id, sends
// the queue on each page load (where Background Sync is missing), shows what waits or was
// refused, saves modules for offline reading (size asked first), the data saver's image taps,
// and clears everything at logout. Without service workers the page works as before.
(function () {
  "use strict";
  var O = window.LMSOffline, user = document.body.dataset.user;
  if (!O || !user || !("serviceWorker" in navigator) || !window.caches || !window.indexedDB) { return; }
  var bar = document.getElementById("offline-bar"), box = document.getElementById("offline-box");
  var T = function (el, key, vars) {
    var s = (el && el.dataset[key]) || "";
    Object.keys(vars || {}).forEach(function (k) { s = s.split("{" + k + "}").join(vars[k]); });
    return s;
  };
  var nf = window.Intl ? new Intl.NumberFormat(document.documentElement.lang) : null;
  function size(bytes) { var kb = Math.max(1, Math.round(bytes / 1024)); return (nf ? nf.format(kb) : kb) + " KB"; }
  function el(tag, cls, text) { var e = document.createElement(tag); if (cls) { e.className = cls; } if (text) { e.textContent = text; } return e; }

  var ready = O.setUser(user);
  navigator.serviceWorker.register("/sw.js").then(function () {
    return navigator.serviceWorker.ready;
  }).then(function (reg) { if (reg.active) { reg.active.postMessage("shell"); } }).catch(function () {});

  // Forms whose request may be queued carry a new client id for each submission.
  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (form.hasAttribute("data-offline-form")) {
      var input = form.querySelector("input[name=client_id]");
      if (!input) { input = el("input"); input.type = "hidden"; input.name = "client_id"; form.appendChild(input); }
      input.value = O.uuid();
    }
    if (form.hasAttribute("data-logout") && !form.dataset.cleared) {
      event.preventDefault();
      var go = function () { form.dataset.cleared = "1"; form.submit(); };
      var timer = setTimeout(go, 3000);
      clearAll().then(function () { clearTimeout(timer); go(); }, go);
    }
  }, true);

  // The bar: offline, how many items wait, and what the server refused (until dismissed).
  function render() {
    return Promise.all([O.mine("queue"), O.mine("outcomes")]).then(function (r) {
      bar.textContent = "";
      if (!navigator.onLine) { bar.appendChild(el("p", "", T(bar, "offline"))); }
      if (r[0].length) { bar.appendChild(el("p", "", T(bar, "pending", { n: r[0].length }))); }
      r[1].forEach(function (o) {
        var p = el("p", "offline-refused");
        p.appendChild(el("strong", "", T(bar, "refused") + " "));
        p.appendChild(document.createTextNode((o.label ? o.label + ": " : "") + o.message + " "));
        var ok = el("button", "link-button", T(bar, "dismiss"));
        ok.type = "button";
        ok.addEventListener("click", function () { O.del("outcomes", o.id).then(render); });
        p.appendChild(ok);
        bar.appendChild(p);
      });
      bar.hidden = !bar.childNodes.length;
    }).catch(function () {});
  }

  function sync() {
    if (!navigator.onLine) { return render(); }
    return ready.then(O.flush).then(function () { return refresh(T(bar, "gone")); }).then(render, render);
  }
  window.addEventListener("online", sync);
  window.addEventListener("offline", render);
  window.addEventListener("lms-queued", render);
  navigator.serviceWorker.addEventListener("message", render);

  function drop(key) {
    return O.get("saved", key).then(function (old) {
      return (old ? caches.delete(old.cache) : Promise.resolve()).then(function () { return O.del("saved", key); });
    });
  }

  // Fetch the module's manifest; 403/404: the module is removed from this device.
  function manifest(url) {
    return fetch(url, O.same).then(function (r) {
      if (r.status === 403 || r.status === 404) {
        var e = new Error("gone"); e.gone = true; throw e;
      }
      if (!r.ok) { throw new Error("HTTP " + r.status); }
      return r.json();
    });
  }

  // Save a module: everything into a new cache, then the record points at it and the old one
  // goes. Any failure (quota, a lesson that fails) deletes the new cache: nothing half-saved.
  function save(url, known) {
    return (known ? Promise.resolve(known) : manifest(url)).then(function (m) {
      var key = m.course + "/" + m.module, name = "lms-m-" + m.course + "-" + m.module + "-" + Date.now();
      var bytes = 0, need = m.lessons.concat(m.images), optional = m.pages;
      return caches.open(name).then(function (cache) {
        function one(entry, required) {
          return fetch(entry.url, O.same).then(function (r) {
            if (!r.ok) { if (required) { throw new Error("HTTP " + r.status + " " + entry.url); } return; }
            return r.clone().arrayBuffer().then(function (b) { bytes += b.byteLength; return cache.put(entry.url, r); });
          });
        }
        var chain = Promise.resolve();
        need.forEach(function (e) { chain = chain.then(function () { return one(e, true); }); });
        optional.forEach(function (e) { chain = chain.then(function () { return one(e, false); }); });
        return chain;
      }).then(function () {
        return O.get("saved", key);
      }).then(function (old) {
        return O.get("meta", "user").then(function (user) {
          return O.put("saved", { key: key, course: m.course, module: m.module, title: m.title, version: m.version,
                                bytes: bytes, cache: name, user: user, manifest: url, checked: Date.now() });
        }).then(function () { return old && old.cache !== name ? caches.delete(old.cache) : null; });
      }).then(function () { return { key: key, bytes: bytes }; }, function (err) {
        return caches.delete(name).then(function () { throw err; });
      });
    });
  }

  // Saved modules brought up to date (at most every ten minutes each): a new version is saved
  // again; a module I may no longer study (403/404) is deleted, and the trainee told why.
  function refresh(messageGone) {
    if (!navigator.onLine) { return Promise.resolve(); }
    return O.mine("saved").then(function (saved) {
      return Promise.all(saved.filter(function (s) { return Date.now() - (s.checked || 0) > 600000; })
        .map(function (s) {
          return manifest(s.manifest).then(function (m) {
            if (m.version === s.version) { s.checked = Date.now(); return O.put("saved", s); }
            return save(s.manifest, m);
          }, function (err) {
            if (!err.gone) { return null; }
            return drop(s.key).then(function () {
              return O.put("outcomes", { user: s.user, label: s.title, reason: "no_access", message: messageGone,
                                       at: Date.now() });
            });
          });
        }));
    }).catch(function () { return null; });
  }

  // Logout on a shared computer: every cache and the whole database go.
  function clearAll() {
    var c = O.close(), closing = c ? c.then(function (db) { db.close(); }).catch(function () {}) : Promise.resolve();
    return closing.then(function () { return caches.keys(); }).then(function (keys) {
      return Promise.all(keys.filter(function (k) { return k.indexOf("lms-") === 0; })
        .map(function (k) { return caches.delete(k); }));
    }).then(function () {
      return new Promise(function (resolve) {
        var req = indexedDB.deleteDatabase("lms-offline");
        req.onsuccess = req.onerror = req.onblocked = function () { resolve(); };
      });
    });
  }

  O.manifest = manifest; O.save = save; O.drop = drop;

  // The course page: save a module or the whole course, after showing the download's size.
  function widget(node, load) {
    var status = node.querySelector(".offline-status"), key = node.dataset.key;
    node.hidden = false;
    function button(text, cls, fn) {
      var b = el("button", "button button-small " + (cls || ""), text);
      b.type = "button"; b.addEventListener("click", fn); node.appendChild(b); return b;
    }
    function clear() { Array.prototype.slice.call(node.querySelectorAll("button")).forEach(function (b) { b.remove(); }); }
    function show() {
      clear();
      return (key ? O.get("saved", key) : O.mine("saved").then(function (all) {
        return all.filter(function (s) { return s.course === box.dataset.courseManifest.split("/")[2]; });
      })).then(function (saved) {
        var list = key ? (saved ? [saved] : []) : saved;
        var bytes = list.reduce(function (n, s) { return n + s.bytes; }, 0);
        status.textContent = !list.length ? "" : key ? T(box, "saved", { size: size(bytes) })
          : T(box, "total", { n: list.length, size: size(bytes) });
        if (key && saved) { button(T(box, "remove"), "button-secondary", function () { O.drop(key).then(show); }); }
        else { button(key ? T(box, "save") : T(box, "saveCourse"), "button-secondary", ask); }
      });
    }
    function ask() {
      if (!navigator.onLine) { status.textContent = T(box, "offline"); return; }
      clear(); status.textContent = T(box, "saving");
      load().then(function (list) {
        var sum = function (k) { return list.reduce(function (n, m) { return n + m[k].length; }, 0); };
        clear();
        status.textContent = T(box, "ask", { size: size(list.reduce(function (n, m) { return n + m.bytes; }, 0)),
                                             lessons: sum("lessons"), images: sum("images") });
        button(T(box, "confirm"), "", function () {
          clear(); status.textContent = T(box, "saving");
          list.reduce(function (c, m) { return c.then(function () { return O.save(m.url, m); }); }, Promise.resolve())
            .then(function () { window.dispatchEvent(new Event("lms-saved")); }, function (err) {
              status.textContent = T(box, err && err.name === "QuotaExceededError" ? "quota" : "failed");
              button(key ? T(box, "save") : T(box, "saveCourse"), "button-secondary", ask);
            }).then(render);
        });
        button(T(box, "cancel"), "button-secondary", show);
      }, function () { status.textContent = T(box, "failed"); button(T(box, "save"), "button-secondary", ask); });
    }
    node.refresh = show;
    return show();
  }
  function withUrl(url) { return O.manifest(url).then(function (m) { m.url = url; return m; }); }
  if (box) {
    Array.prototype.forEach.call(document.querySelectorAll("[data-offline-save]"), function (node) {
      widget(node, function () { return withUrl(node.dataset.offlineSave).then(function (m) { return [m]; }); });
    });
    var whole = box.querySelector("[data-offline-course]");
    widget(whole, function () {
      return fetch(box.dataset.courseManifest, O.same).then(function (r) { return r.json(); }).then(function (c) {
        return Promise.all(c.modules.map(function (m) { return withUrl(m.manifest); }));
      });
    });
    window.addEventListener("lms-saved", function () {
      Array.prototype.forEach.call(document.querySelectorAll(".offline-save"), function (n) { if (n.refresh) { n.refresh(); } });
    });
  }

  // The dashboard: what this device keeps, and how much space it takes.
  var list = document.getElementById("offline-saved");
  if (list) {
    O.mine("saved").then(function (saved) {
      if (!saved.length) { return; }
      var ul = list.querySelector("ul"), total = 0;
      saved.forEach(function (s) {
        total += s.bytes;
        var li = el("li"), a = el("a", "", s.title);
        a.href = "/courses/" + s.course;
        li.appendChild(a); li.appendChild(document.createTextNode(" · " + size(s.bytes))); ul.appendChild(li);
      });
      list.querySelector(".offline-summary").textContent = T(list, "total", { n: saved.length, size: size(total) });
      list.hidden = false;
    });
  }

  // Data saver: a tapped image link shows the image in its place.
  document.addEventListener("click", function (event) {
    var link = event.target.closest && event.target.closest("a.img-tap");
    if (!link) { return; }
    event.preventDefault();
    var img = el("img"); img.src = link.href; img.alt = link.dataset.alt || "";
    link.replaceWith(img);
  });

  sync();
})();
