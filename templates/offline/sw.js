// Bimtek LMS service worker (hand-written), shell {{ version }}. Pages: network first, then the saved
// copy or the offline page; static files and images: cache first; failed posts: queued.
"use strict";
importScripts({{ static_url("js/offline-core.js")|tojson }});
var SHELL = "lms-shell-{{ version }}", SHELL_URLS = {{ shell|tojson }}, OFFLINE = {{ url_for("offline.offline_page")|tojson }};
var QUEUED = [[/^\/courses\/[^/]+\/lessons\/[^/]+\/complete$/, "complete"], [/^\/attempts\/\d+\/save$/, "quiz_save"]];

function shell() {
  return caches.has(SHELL).then(function (has) {
    return has ? null : caches.open(SHELL).then(function (c) { return c.addAll(SHELL_URLS); });
  });
}
self.addEventListener("install", function (e) { e.waitUntil(shell().then(function () { return self.skipWaiting(); })); });
self.addEventListener("activate", function (e) {
  e.waitUntil(caches.keys().then(function (keys) {
    return Promise.all(keys.filter(function (k) { return k.indexOf("lms-shell-") === 0 && k !== SHELL; })
      .map(function (k) { return caches.delete(k); }));
  }).then(function () { return self.clients.claim(); }));
});
self.addEventListener("sync", function (e) { if (e.tag === "lms-queue") { e.waitUntil(LMSOffline.flush()); } });
self.addEventListener("message", function (e) {
  if (e.data === "shell") { e.waitUntil(shell().catch(function () {})); }
});

function saved(request) { return caches.match(request, { ignoreVary: true }).then(function (r) { return r || null; }); }

// A saved page seen online is stored again.
function keep(request, response) {
  return caches.keys().then(function (keys) {
    return keys.filter(function (k) { return k.indexOf("lms-m-") === 0; }).reduce(function (chain, k) {
      return chain.then(function (done) {
        return done || caches.open(k).then(function (c) {
          return c.match(request).then(function (hit) { return hit ? c.put(request, response).then(function () { return true; }) : false; });
        });
      });
    }, Promise.resolve(false));
  });
}

function page(e) {
  return fetch(e.request).then(function (response) {
    if (response.status === 200 && response.type === "basic") { e.waitUntil(keep(e.request, response.clone())); }
    return response;
  }, function () {
    return saved(e.request).then(function (r) { return r || saved(OFFLINE); }).then(function (r) {
      return r || new Response("offline", { status: 503, headers: { "Content-Type": "text/plain" } });
    });
  });
}

function queued(e, kind) {
  var copy = e.request.clone();
  return fetch(e.request).catch(function () {
    return copy.formData().then(function (form) {
      var body = new URLSearchParams();
      form.forEach(function (value, name) { if (typeof value === "string") { body.append(name, value); } });
      return LMSOffline.enqueue(copy.url, body.toString(), kind);
    }).then(function (item) {
      if (self.registration.sync) { self.registration.sync.register("lms-queue").catch(function () {}); }
      if (e.request.headers.get("X-Requested-With") === "fetch") {
        return new Response(JSON.stringify({ ok: true, queued: true, id: item.id }),
                            { status: 202, headers: { "Content-Type": "application/json" } });
      }
      var next = new URLSearchParams(item.body).get("offline_next") || e.request.referrer || OFFLINE;
      var url = new URL(next, self.location.origin);
      return Response.redirect(url.origin === self.location.origin ? url.href : OFFLINE, 303);
    });
  });
}

self.addEventListener("fetch", function (e) {
  var url = new URL(e.request.url);
  if (url.origin !== self.location.origin) { return; }
  if (e.request.method === "POST") {
    var hit = QUEUED.filter(function (q) { return q[0].test(url.pathname); })[0];
    if (hit) { e.respondWith(queued(e, hit[1])); }
    return;
  }
  if (e.request.method !== "GET") { return; }
  if (e.request.mode === "navigate") { e.respondWith(page(e)); return; }
  if (url.pathname.indexOf("/static/") === 0 || url.pathname.indexOf("/assets/") > 0) {
    e.respondWith(saved(e.request).then(function (r) { return r || fetch(e.request); }));
  }
});
