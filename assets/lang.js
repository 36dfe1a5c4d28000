// Keep <html lang> on the page's language when Dash moves to another page without
// reloading (pushState): ?lang= of the new address, else the server's default
// (data-default-lang, written by pages/document.py). Screen readers follow it.
(function () {
  "use strict";
  var root = document.documentElement;
  function follow() {
    var asked = new URLSearchParams(window.location.search).get("lang");
    var lang = asked === "vi" || asked === "en" ? asked : root.getAttribute("data-default-lang");
    if (lang && root.getAttribute("lang") !== lang) root.setAttribute("lang", lang);
  }
  ["pushState", "replaceState"].forEach(function (name) {
    var original = window.history[name];
    window.history[name] = function () {
      var result = original.apply(this, arguments);
      follow();
      return result;
    };
  });
  window.addEventListener("popstate", follow);
})();
