// Registration and profile: the regency/city list shows only the chosen province's regencies.
// Without JavaScript the <select> lists every regency/city grouped by province, and still works.
(function () {
  "use strict";
  var province = document.querySelector("select[data-regions=province]");
  var regency = document.querySelector("select[data-regions=regency]");
  if (!province || !regency) { return; }
  var groups = Array.prototype.slice.call(regency.querySelectorAll("optgroup"));

  function narrow() {
    var chosen = province.value, keep = regency.value;
    groups.forEach(function (group) {
      var wanted = !chosen || group.getAttribute("data-province") === chosen;
      if (wanted && group.parentNode !== regency) { regency.appendChild(group); }
      if (!wanted && group.parentNode === regency) { regency.removeChild(group); }
    });
    // Groups back in their order; a regency of another province is no longer chosen.
    groups.forEach(function (group) { if (group.parentNode === regency) { regency.appendChild(group); } });
    regency.value = keep;
    if (regency.value !== keep) { regency.value = ""; }
  }

  regency.addEventListener("change", function () {
    var option = regency.options[regency.selectedIndex];
    var group = option && option.parentNode;
    if (group && group.tagName === "OPTGROUP" && !province.value) {
      province.value = group.getAttribute("data-province");
      narrow();
    }
  });
  province.addEventListener("change", narrow);
  narrow();
})();
