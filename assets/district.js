// The district page's date range picker (dcc.DatePickerRange): its wrapper div carries
// aria-haspopup, aria-expanded and aria-disabled, which a div without a role may not
// have (axe-core's aria-allowed-attr, critical), and an aria-labelledby naming ids that
// do not exist ("undefined"). Screen readers ignore such attributes on a plain div, so
// the wrapper becomes a named group and the stray attributes go; each date input keeps
// its own label, and the picker works as before. Re-applied whenever React redraws it.
(function () {
  var STRAY = ["aria-haspopup", "aria-expanded", "aria-disabled", "aria-labelledby", "type"];

  function tidy(wrapper) {
    STRAY.forEach(function (name) {
      if (wrapper.hasAttribute(name)) wrapper.removeAttribute(name);
    });
    if (wrapper.getAttribute("role") !== "group") wrapper.setAttribute("role", "group");
    var label = wrapper.closest("[data-dates-label]");
    if (label && wrapper.getAttribute("aria-label") !== label.dataset.datesLabel) {
      wrapper.setAttribute("aria-label", label.dataset.datesLabel);
    }
  }

  function sweep() {
    var wrapper = document.getElementById("district-dates-wrapper");
    if (wrapper) tidy(wrapper);
  }

  new MutationObserver(sweep).observe(document.documentElement, {
    subtree: true,
    childList: true,
    attributes: true,
    attributeFilter: STRAY,
  });
})();

// The sources map (widgets/district_sources_map.py): a click on a marker opens that
// source, whose link is the point's customdata. Plotly's graph div takes the handler
// once it is drawn; a redraw keeps it.
(function () {
  function hook() {
    var graph = document.querySelector("#district-sources-map .js-plotly-plot");
    if (!graph || graph.dataset.iocClick || typeof graph.on !== "function") return;
    graph.dataset.iocClick = "1";
    graph.on("plotly_click", function (event) {
      var point = event && event.points && event.points[0];
      if (point && typeof point.customdata === "string") window.location.assign(point.customdata);
    });
  }
  new MutationObserver(hook).observe(document.documentElement, { subtree: true, childList: true });
})();

// The document's language is the district page's (?lang=): Dash writes one <html> for
// every page, so the page's own lang is copied onto it once the page is drawn.
(function () {
  function setLang() {
    var page = document.querySelector(".district-page[lang]");
    if (page && document.documentElement.lang !== page.lang) document.documentElement.lang = page.lang;
  }
  new MutationObserver(setLang).observe(document.documentElement, { subtree: true, childList: true });
})();
