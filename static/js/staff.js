// Staff pages, small enhancements; every page works without them.
// - A "select all" checkbox (data-select-all="NAME") ticks the NAME checkboxes of its form.
// - A copy button (data-copy="ID") copies the text of the element ID with the clipboard API;
//   where that is refused, the text is selected for the keyboard or a long press.
(function () {
  "use strict";
  document.querySelectorAll("[data-select-all]").forEach(function (all) {
    var form = all.form || all.closest("form");
    if (!form) return;
    var boxes = function () {
      return Array.prototype.filter.call(form.querySelectorAll('input[type=checkbox][name="' + all.dataset.selectAll + '"]'),
        function (box) { return !box.disabled; });
    };
    var sync = function () {
      var list = boxes(), ticked = list.filter(function (box) { return box.checked; }).length;
      all.checked = list.length > 0 && ticked === list.length;
      all.indeterminate = ticked > 0 && ticked < list.length;
    };
    if (!boxes().length) return;
    all.addEventListener("change", function () {
      boxes().forEach(function (box) { box.checked = all.checked; });
      all.indeterminate = false;
    });
    form.addEventListener("change", function (event) { if (event.target !== all) sync(); });
    (all.closest("[hidden]") || all).hidden = false;
    all.hidden = false;
    sync();
  });

  document.querySelectorAll("[data-copy]").forEach(function (button) {
    var source = document.getElementById(button.dataset.copy);
    var status = button.nextElementSibling;
    if (!source) return;
    var say = function (text) { if (status) status.textContent = text; };
    var selectText = function () {
      source.focus();
      if (source.select) source.select();
    };
    button.addEventListener("click", function () {
      var text = source.value !== undefined ? source.value : source.textContent;
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(function () { say(button.dataset.copied); },
          function () { selectText(); say(button.dataset.failed); });
      } else {
        selectText();
        var copied = false;
        try { copied = document.execCommand("copy"); } catch (e) { copied = false; }
        say(copied ? button.dataset.copied : button.dataset.failed);
      }
    });
    button.hidden = false;
  });
})();
