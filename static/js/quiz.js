// Quiz page: save answers as the trainee goes, retry when the connection drops, show the time left.
// Without JavaScript the page still works: the Save and Submit buttons post the form.
(function () {
  "use strict";
  var form = document.getElementById("quiz-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = form.querySelector(".save-status");
  var dirty = false, saving = false, timer = null, retry = null;

  function say(key) { if (status) { status.textContent = status.dataset[key] || ""; } }

  function save() {
    if (saving) { schedule(1000); return; }
    saving = true; dirty = false; say("saving");
    var data = new FormData(form);
    data.set("action", "autosave");
    // Each save has its own id: a save queued offline and sent twice is recorded once.
    if (window.LMSOffline) { data.set("client_id", window.LMSOffline.uuid()); data.set("offline_label", form.dataset.label || ""); }
    fetch(form.getAttribute("action"), { method: "POST", body: new URLSearchParams(data), credentials: "same-origin",
                         headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.status === 202) { say("queued"); window.dispatchEvent(new Event("lms-queued")); return; }
        if (response.ok) { say("saved"); clearTimeout(retry); return; }
        if (response.status === 409 || response.status === 400) { window.location.reload(); return; }
        throw new Error("save failed");
      })
      .catch(function () { dirty = true; say("offline"); clearTimeout(retry); retry = setTimeout(save, 10000); })
      .then(function () { saving = false; });
  }

  // Reopened without a connection: the answers waiting in the offline queue are put back.
  if (window.LMSOffline && !navigator.onLine) {
    window.LMSOffline.mine("queue").then(function (items) {
      var url = new URL(form.getAttribute("action"), location.href).href;
      var mine = items.filter(function (i) { return i.url === url; }).sort(function (a, b) { return b.at - a.at; })[0];
      if (!mine) { return; }
      var body = new URLSearchParams(mine.body);
      Array.prototype.forEach.call(form.elements, function (input) {
        if (!input.name || input.name.charAt(0) !== "q") { return; }
        if (input.type === "radio" || input.type === "checkbox") { input.checked = body.getAll(input.name).indexOf(input.value) >= 0; }
        else if (input.type !== "submit" && input.type !== "hidden") { input.value = body.get(input.name) || ""; }
      });
      say("queued");
    }).catch(function () {});
  }

  function schedule(delay) { clearTimeout(timer); timer = setTimeout(save, delay); }

  form.addEventListener("change", function () { dirty = true; schedule(600); });
  form.addEventListener("input", function (event) {
    if (event.target.tagName === "TEXTAREA" || event.target.type === "text") { dirty = true; schedule(2000); }
  });
  form.addEventListener("submit", function () { dirty = false; });
  window.addEventListener("online", function () { if (dirty) { save(); } });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });

  var clock = document.querySelector(".timer");
  if (clock) {
    var deadline = Date.parse(clock.dataset.deadline);
    var value = clock.querySelector(".timer-value");
    clock.hidden = false;
    var tick = function () {
      var left = Math.max(0, Math.floor((deadline - Date.now()) / 1000));
      var minutes = Math.floor(left / 60), seconds = left % 60;
      value.textContent = minutes + ":" + (seconds < 10 ? "0" : "") + seconds;
      if (left === 0) { if (dirty) { save(); } setTimeout(function () { window.location.reload(); }, 3000); return; }
      setTimeout(tick, 1000);
    };
    tick();
  }
})();
