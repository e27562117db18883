"""Charts: Vega-Lite specs built with altair, rendered to SVG at build time with vl-convert.

vl-convert bundles Vega and renders in-process: no browser, no network (data is
inline and `allowed_base_urls=[]` forbids any fetch). Fonts are a generic family,
so nothing is loaded from outside. Colours are Okabe-Ito for categories (safe
for the common colour-vision deficiencies) and viridis for magnitudes. Every
chart carries the rows behind it, shown as a table under it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import re
from collections.abc import Iterator

import altair as alt
import vl_convert
from altair.utils import schemapi

OKABE_ITO = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#D55E00",
    "#56B4E9",
    "#CC79A7",
    "#F0E442",
    "#000000",
]
FONT = "sans-serif"
WIDTH = 560
# The SVG namespaces are identifiers, not addresses; inline SVG in HTML needs none.
_NAMESPACES = re.compile(r'\s+xmlns(:xlink)?="[^"]*"')
# Ids inside an SVG (gradients, clip paths) must stay unique once many share a page.
_IDS = re.compile(r'(id="|url\(#|href="#)([^")]+)')
_charts = itertools.count(1)


# One point, rendered once so that vl-convert starts its JavaScript engine and
# compiles Vega-Lite before the report needs it (`start_engine`).
_WARM_UP_SPEC = {
    "data": {"values": [{"x": 0}]},
    "mark": "point",
    "encoding": {"x": {"field": "x", "type": "quantitative"}},
}


def start_engine() -> None:
    """Start vl-convert's engine: its first chart costs ~0.3 s more than the next ones."""
    vl_convert.vegalite_to_svg(_WARM_UP_SPEC, allowed_base_urls=[])


@contextlib.contextmanager
def unvalidated() -> Iterator[None]:
    """Charts built inside are not validated against the Vega-Lite schema as they are made.

    altair's debug mode (on by default) validates every object it constructs, data
    values included: 0.4 s of the 3.2 s report of the L org (issue #17). The four
    builders below make the only specs the report renders; tests/test_report.py
    validates them.
    """
    with schemapi.debug_mode(False):
        yield


def render(chart: alt.TopLevelMixin) -> str:
    """The chart as an inline <svg> element."""
    # Built as a plain dict, not validated against the Vega-Lite JSON schema again
    # for every chart each night (altair's configure_* and to_dict validate; about a
    # fifth of the report step's CPU, issue #17): the specs come from the four
    # builders below, whose output tests/test_report.py validates.
    spec = chart.to_dict(validate=False)
    config = spec.setdefault("config", {})
    config.update(font=FONT, background="white")
    config.setdefault("view", {})["stroke"] = None
    # Legend labels are names ("Org median (all teams)"): never cut them (Vega-Lite's
    # default stops at 160 px and ends them with an ellipsis).
    config.setdefault("legend", {})["labelLimit"] = 0
    svg = vl_convert.vegalite_to_svg(spec, allowed_base_urls=[])
    prefix = f"chart{next(_charts)}-"
    return _IDS.sub(lambda m: m.group(1) + prefix + m.group(2), _NAMESPACES.sub("", svg))


def _values(rows: list[dict], fields: list[str]) -> alt.Data:
    def plain(value):
        if isinstance(value, dt.date):
            return value.isoformat()
        return (
            float(value)
            if isinstance(value, int | float) and not isinstance(value, bool)
            else value
        )

    return alt.Data(values=[{f: plain(row.get(f)) for f in fields} for row in rows])


def heatmap(
    rows: list[dict],
    *,
    x: str,
    y: str,
    value: str,
    title: str,
    x_title: str,
    y_title: str,
    value_title: str,
    value_format: str = ".0f",
) -> alt.Chart:
    """Cells coloured by `value`, rows of `y` in the order they come (the worst first)."""
    order = list(dict.fromkeys(row[y] for row in rows))
    return (
        alt.Chart(_values(rows, [x, y, value]), title=title)
        .mark_rect()
        .encode(
            x=alt.X(f"{x}:O", title=x_title),
            y=alt.Y(f"{y}:N", title=y_title, sort=order),
            color=alt.Color(
                f"{value}:Q",
                title=value_title,
                scale=alt.Scale(scheme="viridis", reverse=True),
                legend=alt.Legend(format=value_format),
            ),
        )
        .properties(width=WIDTH, height=alt.Step(16))
    )


def bars(
    rows: list[dict],
    *,
    category: str,
    value: str,
    title: str,
    value_title: str,
    category_title: str,
    series: str | None = None,
    value_format: str = ",.0f",
) -> alt.Chart:
    """Horizontal bars of `value` per `category` (in the order given), one colour per series."""
    order = list(dict.fromkeys(row[category] for row in rows))
    fields = [category, value] + ([series] if series else [])
    encoding = {
        "y": alt.Y(f"{category}:N", title=category_title, sort=order),
        # Whole-number figures get whole-number ticks (else 0, 0, 1, 1, ... repeats).
        "x": alt.X(
            f"{value}:Q",
            title=value_title,
            axis=alt.Axis(format=value_format, tickMinStep=1)
            if value_format.endswith(".0f")
            else alt.Axis(format=value_format),
        ),
    }
    if series:
        encoding["color"] = alt.Color(f"{series}:N", title=None, scale=alt.Scale(range=OKABE_ITO))
        encoding["yOffset"] = alt.YOffset(f"{series}:N")
    else:
        encoding["color"] = alt.value(OKABE_ITO[0])
    return (
        alt.Chart(_values(rows, fields), title=title)
        .mark_bar()
        .encode(**encoding)
        .properties(width=WIDTH, height=alt.Step(14 if series else 18))
    )


def lines(
    rows: list[dict],
    *,
    x: str,
    value: str,
    series: str,
    title: str,
    x_title: str,
    value_title: str,
    value_format: str = ",.2f",
    dash: str | None = None,
) -> alt.Chart:
    """One line (with points, so a single date still shows) per series over `x`."""
    fields = [x, value, series] + ([dash] if dash else [])
    encoding = {
        "x": alt.X(f"{x}:O", title=x_title),
        "y": alt.Y(f"{value}:Q", title=value_title, axis=alt.Axis(format=value_format)),
        "color": alt.Color(f"{series}:N", title=None, scale=alt.Scale(range=OKABE_ITO)),
    }
    if dash:
        encoding["strokeDash"] = alt.StrokeDash(f"{dash}:N", legend=None)
    return (
        alt.Chart(_values(rows, fields), title=title)
        .mark_line(point=True)
        .encode(**encoding)
        .properties(width=WIDTH, height=220)
    )


def dots(
    rows: list[dict],
    *,
    category: str,
    value: str,
    series: str,
    title: str,
    value_title: str,
    value_format: str = ".2f",
) -> alt.Chart:
    """One dot per series on each `category` row (colour and shape both tell the series)."""
    return (
        alt.Chart(_values(rows, [category, value, series]), title=title)
        .mark_point(filled=True, size=90, opacity=0.9)
        .encode(
            y=alt.Y(f"{category}:N", title=None, sort=None),
            x=alt.X(f"{value}:Q", title=value_title, axis=alt.Axis(format=value_format)),
            color=alt.Color(f"{series}:N", title=None, scale=alt.Scale(range=OKABE_ITO)),
            shape=alt.Shape(f"{series}:N", title=None),
        )
        .properties(width=WIDTH, height=alt.Step(28))
    )
