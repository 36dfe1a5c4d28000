// Cell renderers of the district page's grids (dash-ag-grid looks components up here).
var dagcomponentfuncs = (window.dashAgGridComponentFunctions =
  window.dashAgGridComponentFunctions || {});

// A source's name, linking to its detail (the same page, with ?source= in the URL).
// Not a tab stop of its own: the grid is one stop, its cell takes the focus and Enter
// on the cell follows the link (assets/dashAgGridFunctions.js).
dagcomponentfuncs.IocLink = function (props) {
  var data = props.data || {};
  if (!data.href) return props.value;
  return React.createElement(
    "a",
    { href: data.href, className: "source-link", tabIndex: -1 },
    props.value
  );
};

// A status as the one mark (assets/marks.css, widgets/mark.py): shape and word, never
// colour alone.
dagcomponentfuncs.IocStatus = function (props) {
  var field = props.colDef.field;
  var data = props.data || {};
  var status = data[field + "_status"] || props.value;
  return React.createElement("span", { className: "mark mark--" + status }, [
    React.createElement("span", { key: "m", className: "mark__shape", "aria-hidden": "true" }),
    React.createElement("span", { key: "w", className: "mark__word" }, data[field + "_text"] || props.value),
  ]);
};
