"""The one colour table for what the system colours: the 亩均 classes on pages, charts, the
map and in documents, and the target statuses (绿灯/黄灯/红灯) of the cockpit and the map.
The site's style sheets use the same values (site.css, dashboard.css).

Class colours run green (A, 优先发展) to red (D, 倒逼整治), the order officials read them in;
T (不参评) is violet so it is never mistaken for a grade. Colour never carries meaning alone:
every coloured mark is labelled with its class."""

from __future__ import annotations

CLASS_COLOURS = {"A": "#1b7f3b", "B": "#4a90c2", "C": "#e07b39", "D": "#b3261e", "T": "#8e7cc3"}
NEUTRAL_COLOUR = "#9aa5b1"  # anything without a class of its own

# Target status (docs/dashboard.md, Targets): the cockpit's badges and the map's platform
# markers. 暂无数据 is the neutral grey; every coloured status also carries its word.
STATUS_COLOURS = {"green": "#1b7f3b", "yellow": "#d4a017", "red": "#b3261e", "none": NEUTRAL_COLOUR}


def class_colour(klass: str) -> str:
    return CLASS_COLOURS.get(klass, NEUTRAL_COLOUR)


def status_colour(status: str) -> str:
    return STATUS_COLOURS.get(status, NEUTRAL_COLOUR)
