"""The app's one mechanism for state: settings declared once, kept in the URL and the session.

Every value that changes what a page shows (a widget's value, the query points, the labelled
points) is a :class:`Setting` of a :class:`PageState`. By construction it is

- read from the URL on a fresh session (a shared link reopens the view),
- written to the URL whenever it changes (only when it differs from its default),
- kept across page switches within a session (Streamlit forgets the value of a widget on any
  run that does not draw it; the state puts it back).

A page declares its state at the top, calls :meth:`PageState.sync` before drawing its widgets,
and draws each widget with ``key=state.key(name)`` and no ``value``/``default`` of its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import streamlit as st

_KEPT = "mlviz_kept"
_SYNCED = "mlviz_synced_names"
_LINK = "mlviz_link"
_FRESH = "mlviz_fresh"
_ARRIVED = "mlviz_arrived"


@dataclass(frozen=True)
class Setting:
    """One value of a page's state.

    Attributes
    ----------
    name : str
        Its URL parameter, and the end of its session key.
    default : object
        The value of a new session; a value equal to it is left out of the URL.
    parse : callable
        URL text → value; raises ``ValueError`` for text that is not a valid value.
    text : callable
        Value → URL text.
    """

    name: str
    default: Any
    parse: Callable[[str], Any]
    text: Callable[[Any], str] = str


def choice(name: str, options: Sequence, default) -> Setting:
    """One of ``options`` (numbers, strings), written as the option's text."""
    by_text = {str(o): o for o in options}

    def parse(raw: str):
        if raw not in by_text:
            raise ValueError(raw)
        return by_text[raw]

    return Setting(name, default, parse)


def _bounded(kind: type, name: str, low, high, default, text: Callable[[Any], str]) -> Setting:
    def parse(raw: str):
        value = kind(raw)
        if not low <= value <= high:
            raise ValueError(raw)
        return value

    return Setting(name, default, parse, text)


def whole(name: str, low: int, high: int, default: int) -> Setting:
    """A whole number in ``[low, high]``."""
    return _bounded(int, name, low, high, default, str)


def number(name: str, low: float, high: float, default: float) -> Setting:
    """A real number in ``[low, high]``, written in its shortest form."""
    return _bounded(float, name, low, high, default, lambda v: f"{v:g}")


def flag(name: str, default: bool) -> Setting:
    """On or off, written as 1 or 0."""
    def parse(raw: str) -> bool:
        if raw not in ("0", "1"):
            raise ValueError(raw)
        return raw == "1"

    return Setting(name, default, parse, lambda v: "1" if v else "0")


def subset(name: str, options: Sequence[str], default: Sequence[str]) -> Setting:
    """Some of ``options`` (as a list, in the options' order), written comma-separated."""
    def parse(raw: str) -> list[str]:
        chosen = [part for part in raw.split(",") if part]
        if any(c not in options for c in chosen):
            raise ValueError(raw)
        return [o for o in options if o in chosen]

    return Setting(name, list(default), parse, ",".join)


def point_ids(name: str) -> Setting:
    """A sorted tuple of point indices, written ``3,17,40``; entries that are not indices are
    dropped, and the page drops those beyond its n."""
    def parse(raw: str) -> tuple[int, ...]:
        parts = [p.strip() for p in raw.split(",")]
        return tuple(sorted({int(p) for p in parts if p.isdigit()}))

    return Setting(name, (), parse, lambda ids: ",".join(map(str, ids)))


def point_classes(name: str) -> Setting:
    """Labelled points ``{point: class}``, written ``point:class,…``."""
    def parse(raw: str) -> dict[int, int]:
        out = {}
        for part in raw.split(","):
            i, _, c = part.partition(":")
            if not (i.isdigit() and c.isdigit()):
                raise ValueError(raw)
            out[int(i)] = int(c)
        return out

    return Setting(name, {}, parse, lambda d: ",".join(f"{i}:{c}" for i, c in sorted(d.items())))


class PageState:
    """The settings of one page (or of the shared sidebar, ``scope=""``).

    Parameters
    ----------
    scope : str
        Prefix of the session keys (``"rank"`` → ``rank_alpha``), so that two pages may both
        have an ``alpha`` with different options; ``""`` for state shared by every page.
    *settings : Setting
    """

    def __init__(self, scope: str, *settings: Setting):
        self.scope = scope
        self.settings = {s.name: s for s in settings}

    def key(self, name: str) -> str:
        """The session key (and widget key) of setting ``name``."""
        if name not in self.settings:
            raise KeyError(f"{name!r} is not a setting of {self.scope or 'the sidebar'}")
        return f"{self.scope}_{name}" if self.scope else name

    def __getitem__(self, name: str):
        return st.session_state.get(self.key(name), self.settings[name].default)

    def sync(self, **defaults) -> None:
        """Restore and publish every setting; call once per run, before the widgets.

        ``defaults`` replace declared defaults for this run, for a default that depends on
        the data (e.g. edges drawn only on small graphs): a fresh session on the same data
        computes the same default, so a link still reopens the view.

        A fresh session takes valid URL values (invalid ones are ignored); a setting missing
        from the session (a widget Streamlit dropped while the user was on another page, or
        one never drawn) takes the value this session kept, else its default. Then the URL
        and the kept values are brought up to date, and URL parameters of no setting drawn in
        this run (another page's) are removed when the user arrives from another page. A fresh
        session reads the link it was opened with, as :func:`start_run` saw it. Every value is
        written back to the session, so that a widget drawn again on another page (the
        sidebar's) takes it rather than its own default.
        """
        link = st.session_state.get(_LINK) if st.session_state.get(_FRESH) else None
        kept = st.session_state.setdefault(_KEPT, {}).setdefault(self.scope, {})
        for name in defaults:
            self.key(name)
        self.settings.update({name: replace(self.settings[name], default=value)
                              for name, value in defaults.items()})
        for name, setting in self.settings.items():
            key = self.key(name)
            raw = link.get(name) if link else None
            if raw is not None:
                try:
                    st.session_state[key] = setting.parse(raw)
                except ValueError:
                    pass
            value = st.session_state.get(key, kept.get(name, setting.default))
            st.session_state[key] = value  # also binds it to this page's widget after a switch
            self._publish(setting, value, kept)
        synced = st.session_state.setdefault(_SYNCED, set())
        if clash := synced & set(self.settings):
            raise ValueError(f"URL names used twice on one page: {sorted(clash)}")
        synced.update(self.settings)
        if self.scope and st.session_state.get(_ARRIVED):
            for param in list(st.query_params):
                if param not in synced:
                    del st.query_params[param]

    def set(self, name: str, value) -> None:
        """Change a setting that no widget holds (queries, labels) and publish it."""
        setting = self.settings[name]
        st.session_state[self.key(name)] = value
        self._publish(setting, value, st.session_state.setdefault(_KEPT, {}).setdefault(self.scope, {}))

    def limit(self, name: str, low, high) -> None:
        """Clamp a numeric setting to ``[low, high]`` before its widget is drawn (bounds that
        depend on the data, e.g. a count below n)."""
        key = self.key(name)
        value = self[name]
        if not low <= value <= high:
            st.session_state[key] = min(max(value, low), high)

    @staticmethod
    def _publish(setting: Setting, value, kept: dict) -> None:
        kept[setting.name] = value
        if value == setting.default or value is None:
            if setting.name in st.query_params:
                del st.query_params[setting.name]
        else:
            text = setting.text(value)
            if st.query_params.get(setting.name) != text:
                st.query_params[setting.name] = text


def start_run(page: str) -> None:
    """Note, once per run, whether this run opens a fresh session, arrives from another page
    or reruns this one; called by :func:`mlviz.ui.page.setup_page`."""
    last = st.session_state.get("mlviz_this_page")
    st.session_state[_FRESH] = last is None
    st.session_state[_ARRIVED] = last is not None and last != page
    st.session_state["mlviz_this_page"] = page
    st.session_state[_SYNCED] = set()
    if last is None:
        st.session_state[_LINK] = st.query_params.to_dict()


def opened_from_link() -> bool:
    """Whether this run is the first of a session (opened from a link or typed URL)."""
    return bool(st.session_state.get(_FRESH))


def arrived() -> bool:
    """Whether this run is the first on this page after the user came from another page."""
    return bool(st.session_state.get(_ARRIVED))
