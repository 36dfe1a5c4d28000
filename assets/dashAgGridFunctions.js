// Cell formatters of the district page's grids (dash-ag-grid looks functions up here).
// Numbers in the page's language (vi: 1.234,5), times in Asia/Ho_Chi_Minh.
var dagfuncs = (window.dashAgGridFunctions = window.dashAgGridFunctions || {});
var iocFormats = {};

function iocFormat(lang, digits) {
  var key = lang + digits;
  if (!iocFormats[key]) {
    iocFormats[key] = new Intl.NumberFormat(lang === "vi" ? "vi-VN" : "en-GB", {
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    });
  }
  return iocFormats[key];
}

dagfuncs.iocNumber = function (value, digits, lang) {
  if (value === null || value === undefined || value === "") return "—";
  return iocFormat(lang, digits).format(value);
};

var iocTimeFormat = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Asia/Ho_Chi_Minh",
  day: "2-digit",
  month: "2-digit",
  year: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  hourCycle: "h23",
});

dagfuncs.iocTime = function (value) {
  if (value === null || value === undefined) return "—";
  return iocTimeFormat.format(new Date(value)).replace(",", "");
};

dagfuncs.iocDuration = function (value, lang) {
  if (value === null || value === undefined) return "—";
  var m = Math.max(0, Math.floor(value));
  var vi = lang === "vi";
  if (m < 60) return m + (vi ? " phút" : " min");
  if (m < 1440) return Math.floor(m / 60) + (vi ? " giờ " : " h ") + (m % 60) + (vi ? " phút" : " min");
  return Math.floor(m / 1440) + (vi ? " ngày " : " d ") + Math.floor((m % 1440) / 60) + (vi ? " giờ" : " h");
};

// Tab and Shift+Tab leave the grid instead of walking every cell or cycling the headers:
// the grid is one stop in the page's tab order, and the arrows move inside it.
dagfuncs.iocLeaveGrid = function (params) {
  return false;
};

// Enter (or Space) on a focused cell that holds a source's link opens that source.
document.addEventListener(
  "keydown",
  function (event) {
    if (event.key !== "Enter" && event.key !== " ") return;
    var target = event.target;
    if (!target || !target.classList || !target.classList.contains("ag-cell")) return;
    var link = target.querySelector("a.source-link");
    if (!link) return;
    event.preventDefault();
    event.stopPropagation();
    link.click();
  },
  true
);
