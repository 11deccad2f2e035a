// Course editor: refresh the preview pane while the facilitator types (the same server-side
// rendering and sanitizing as publishing). Without JavaScript the Preview button does the same.
(function () {
  "use strict";
  var form = document.querySelector("form[data-live-preview]");
  var pane = document.getElementById("preview");
  if (!form || !pane || !window.fetch || !window.FormData) { return; }
  var timer = null, busy = false, again = false;

  function refresh() {
    if (busy) { again = true; return; }
    busy = true;
    var data = new FormData(form);
    data.set("preview", "1");
    data.delete("save");
    fetch(form.getAttribute("action") || window.location.pathname,
          { method: "POST", body: data, credentials: "same-origin", headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) { return; }
        pane.innerHTML = html;  // rendered and sanitized by the server
        pane.hidden = false;
        var tabs = document.getElementById("editor-tabs");
        if (tabs) { tabs.hidden = false; }
        form.parentNode.classList.add("editor-with-preview");
      })
      .catch(function () { /* offline: the Preview button still works later */ })
      .then(function () { busy = false; if (again) { again = false; refresh(); } });
  }

  form.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(refresh, 700); });
  if (window.matchMedia("(min-width: 64rem)").matches) { refresh(); }
})();

// Images: upload in the background and put the Markdown line where the cursor is in the text.
(function () {
  "use strict";
  var form = document.querySelector("form[data-image-insert]");
  var text = document.getElementById("text");
  var status = document.getElementById("image-status");
  if (!form || !text || !window.fetch || !window.FormData) { return; }
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    status.textContent = "";
    fetch(form.getAttribute("action"), { method: "POST", body: new FormData(form), credentials: "same-origin",
                                         headers: { "X-Requested-With": "fetch" } })
      .then(function (response) { return response.json(); })
      .then(function (result) {
        if (result.error) { status.textContent = result.error; status.className = "image-status error"; return; }
        var at = text.selectionStart || 0, value = text.value;
        var before = value.slice(0, at).replace(/\s*$/, ""), after = value.slice(at).replace(/^\s*/, "");
        var line = result.markdown;
        text.value = (before ? before + "\n\n" : "") + line + (after ? "\n\n" + after : "\n");
        var cursor = (before ? before.length + 2 : 0) + line.length;
        text.focus();
        text.setSelectionRange(cursor, cursor);
        text.dispatchEvent(new Event("input", { bubbles: true }));  // refreshes the live preview
        status.textContent = result.message;
        status.className = "image-status";
        form.reset();
      })
      .catch(function () { form.submit(); });  // no answer: the plain form post still works
  });
})();
