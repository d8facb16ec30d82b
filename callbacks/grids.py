"""Every grid's CSV button: AG Grid exports the rows as shown (`assets/grid.js`)."""

from __future__ import annotations

from dash import MATCH, ClientsideFunction, Dash, Input, Output

from layouts import ids


def register(app: Dash) -> None:
    app.clientside_callback(ClientsideFunction("grid", "csv"),
                            Output(ids.grid(MATCH), "exportDataAsCsv"),
                            Input(ids.grid_csv(MATCH), "n_clicks"), prevent_initial_call=True)
