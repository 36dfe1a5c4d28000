// Cell renderers of the district page's grids (dash-ag-grid looks components up here).
var dagcomponentfuncs = (window.dashAgGridComponentFunctions =
  window.dashAgGridComponentFunctions || {});

// A source's name, linking to its detail (the same page, with ?source= in the URL).
dagcomponentfuncs.IocLink = function (props) {
  var data = props.data || {};
  if (!data.href) return props.value;
  return React.createElement("a", { href: data.href, className: "source-link" }, props.value);
};

// A status as mark and word (never colour alone).
dagcomponentfuncs.IocStatus = function (props) {
  var field = props.colDef.field;
  var data = props.data || {};
  var status = data[field + "_status"] || props.value;
  return React.createElement("span", { className: "cell-status" }, [
    React.createElement("span", { key: "m", className: "mark mark--" + status }),
    React.createElement("span", { key: "w" }, " " + (data[field + "_text"] || props.value)),
  ]);
};
