// /alarms refreshes itself every few seconds (the script tag's data-seconds), as a list of
// alarms should; not while the operator is in one of its forms (a filter being chosen), not
// while the tab is hidden, and not at all when they turned it off (?refresh=0: the page then
// leaves this script out). A script and not <meta http-equiv=refresh>: WCAG 2.2.1 asks that
// a timed refresh can be turned off, and axe-core refuses the meta refresh.
(function () {
  var me = document.currentScript;
  var seconds = Number(me && me.dataset.seconds) || 15;
  function busy() {
    var active = document.activeElement;
    return !!(active && active.closest && active.closest("form"));
  }
  function tick() {
    if (document.hidden || busy()) {
      window.setTimeout(tick, 1000);
      return;
    }
    window.location.reload();
  }
  window.setTimeout(tick, seconds * 1000);
})();
