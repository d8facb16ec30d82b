/* The KPI, attendance and admin grids (`layouts/grid.py`). `Shown` writes a cell's own
 * words (`<field>__text`, with `<field>__class`) while the grid sorts and filters on its
 * value; `Actions` draws a row's buttons; `grid.csv` hands a click on a grid's CSV button
 * to AG Grid's export, which writes the rows as sorted and filtered on screen. */
window.dashAgGridComponentFunctions = Object.assign({}, window.dashAgGridComponentFunctions, {
  Shown: function (props) {
    var field = props.colDef.field, data = props.data || {};
    var text = data[field + "__text"];
    var attributes = data[field + "__class"] ? {className: data[field + "__class"]} : {};
    return React.createElement("span", attributes,
                               text === undefined || text === null ? props.value : text);
  },
  /* A row's buttons (`[{action, label, danger}]`): a click hands {action} to the grid's
   * `cellRendererData`, which the page's callback reads with the row's id. */
  Actions: function (props) {
    return React.createElement("span", {className: "grid-actions"},
      (props.value || []).map(function (button) {
        return React.createElement("button", {
          key: button.action, type: "button", "data-action": button.action,
          className: "admin-button-small" + (button.danger ? " danger" : ""),
          onClick: function () { props.setData({action: button.action}); },
        }, button.label);
      }));
  },
  /* An agency's colour: the code beside a bar of that colour (codes only, #rrggbb). */
  Colour: function (props) {
    var colour = /^#[0-9a-fA-F]{6}$/.test(props.value || "") ? props.value : "transparent";
    return React.createElement("span", {className: "swatch",
                                        style: {borderLeft: "18px solid " + colour}},
                               props.value);
  },
});
window.dash_clientside = Object.assign({}, window.dash_clientside, {
  grid: {
    csv: function (clicks) {
      return clicks ? true : window.dash_clientside.no_update;
    },
  },
});
