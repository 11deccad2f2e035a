// Action plan form: save the draft as the trainee types, retry when the connection drops.
// Without JavaScript the page still works: its buttons post the form (save, add or remove a row, submit).
(function () {
  "use strict";
  var form = document.getElementById("plan-form");
  if (!form || !window.fetch || !window.FormData) { return; }
  var status = form.querySelector(".save-status");
  var dirty = false, saving = false, timer = null, retry = null;

  function say(key) { if (status) { status.textContent = status.dataset[key] || ""; } }

  function save() {
    if (saving) { schedule(1000); return; }
    saving = true; dirty = false; say("saving");
    var data = new FormData(form);
    data.set("action", "autosave");
    fetch(form.getAttribute("action"), { method: "POST", body: data, credentials: "same-origin",
                         headers: { "X-Requested-With": "fetch" } })
      .then(function (response) {
        if (response.status === 409 || response.status === 400) { window.location.reload(); return; }
        if (!response.ok) { throw new Error("save failed"); }
        clearTimeout(retry);
        return response.json().then(function (body) { say(body.ok ? "saved" : "invalid"); });
      })
      .catch(function () { dirty = true; say("offline"); clearTimeout(retry); retry = setTimeout(save, 10000); })
      .then(function () { saving = false; });
  }

  function schedule(delay) { clearTimeout(timer); timer = setTimeout(save, delay); }

  form.addEventListener("change", function () { dirty = true; schedule(600); });
  form.addEventListener("input", function () { dirty = true; schedule(2000); });
  form.addEventListener("submit", function () { dirty = false; clearTimeout(timer); });
  window.addEventListener("online", function () { if (dirty) { save(); } });
  window.addEventListener("beforeunload", function (event) {
    if (dirty) { event.preventDefault(); event.returnValue = ""; }
  });
})();
