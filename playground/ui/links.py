"""Links that reopen a lesson: "Copy link" writes the tab and its inputs into the URL's query string; a page
opened with such a link selects the tab, fills the inputs and computes.

The state is read from the query string of the request that opened this page and nowhere else, so one learner's
link never shows another's result (Gradio's DeepLinkButton can: gradio #11201, which is why it is not used).
Every value from a URL is checked against its component like any other input; a bad one is left at the tab's
default and named in a note.
"""

from __future__ import annotations

import html
import json
import math
from typing import Any, Mapping

import gradio as gr
from gradio.components import Component

from playground.checks import UserInputError

MAX_TEXT = 2_000  # characters of one text a link carries; longer texts are left out of the link
MAX_NAME = 40
RESERVED = ("tab", "present")  # query names the app itself reads


def _choice_values(component: Component) -> list[Any]:
    return [c[1] if isinstance(c, (tuple, list)) else c for c in (getattr(component, "choices", None) or [])]


def _number(raw: str, what: str) -> float:
    try:
        x = float(raw)
    except (TypeError, ValueError):
        raise UserInputError(f"{what} should be a number, not “{raw[:20]}”.") from None
    if not math.isfinite(x):
        raise UserInputError(f"{what} should be a finite number.")
    return x


def _in_range(x: float, low: float | None, high: float | None, what: str) -> float:
    if (low is not None and x < low) or (high is not None and x > high):
        raise UserInputError(f"{what} should be between {low} and {high}; the link says {x:g}.")
    return x


def value_from_link(component: Component, raw: str, what: str) -> Any:
    """The value `raw` (a query-string value) stands for in `component`, checked like the component's own input;
    raises UserInputError with a sentence when it is not one the component could hold."""
    if not isinstance(raw, str):
        raise UserInputError(f"{what} is not a single value.")
    if isinstance(component, gr.Checkbox):
        if raw.lower() not in ("true", "false"):
            raise UserInputError(f"{what} should be true or false.")
        return raw.lower() == "true"
    if isinstance(component, gr.Slider):
        x = _in_range(_number(raw, what), component.minimum, component.maximum, what)
        step = component.step or 0
        return int(round(x)) if float(step).is_integer() and float(x).is_integer() else x
    if isinstance(component, gr.Number):
        x = _in_range(_number(raw, what), component.minimum, component.maximum, what)
        return int(x) if component.precision == 0 and float(x).is_integer() else x
    if isinstance(component, gr.CheckboxGroup) or (isinstance(component, gr.Dropdown) and component.multiselect):
        try:
            picked = json.loads(raw)
        except ValueError:
            raise UserInputError(f"{what} should be a list of choices.") from None
        if not isinstance(picked, list):
            raise UserInputError(f"{what} should be a list of choices.")
        allowed = {str(v): v for v in _choice_values(component)}
        if any(str(p) not in allowed for p in picked):
            raise UserInputError(f"{what} holds a choice the tab does not offer.")
        return [allowed[str(p)] for p in picked]
    if isinstance(component, (gr.Dropdown, gr.Radio)):
        allowed = {str(v): v for v in _choice_values(component)}
        if raw in allowed:
            return allowed[raw]
        if isinstance(component, gr.Dropdown) and component.allow_custom_value and len(raw) <= MAX_NAME:
            return raw  # the tab checks a custom value itself (a learning rate, a column name)
        raise UserInputError(f"{what} is not one of the tab's choices.")
    if isinstance(component, (gr.Textbox, gr.Code)):
        limit = min(MAX_TEXT, getattr(component, "max_length", None) or MAX_TEXT)
        if len(raw) > limit:
            raise UserInputError(f"{what} is longer than the {limit:,} characters a link carries.")
        return raw
    raise UserInputError(f"{what} cannot come from a link.")


def label_of(component: Component, name: str) -> str:
    return str(getattr(component, "label", None) or name)


def read_link(query: Mapping[str, str], inputs: dict[str, Component]) -> tuple[dict[str, Any], list[str]]:
    """(name → checked value, a sentence per value that was refused) for one tab's inputs; names in the
    query that the tab does not have are refused too."""
    values, problems = {}, []
    for name, raw in query.items():
        if name in RESERVED:
            continue
        if name not in inputs:
            problems.append(f"“{html.escape(name[:MAX_NAME])}” is not a setting of this tab.")
            continue
        try:
            values[name] = value_from_link(inputs[name], raw, label_of(inputs[name], name))
        except UserInputError as exc:
            problems.append(html.escape(str(exc)))
    return values, problems


def link_note(problems: list[str]) -> str:
    if not problems:
        return ""
    shown = problems[:5] + ([f"and {len(problems) - 5} more"] if len(problems) > 5 else [])
    return "*The link had values this tab cannot take; they keep the tab's defaults:* " + " ".join(shown)


def copy_link_js(tab: str, names: list[str]) -> str:
    """The browser side of "Copy link": the inputs' values (in `names`' order) → a URL with the tab and every
    value that fits (texts over MAX_TEXT are left out and said so), written into the address bar and onto the
    clipboard where the browser allows it; returns [url, note] for the link box and its note."""
    return f"""(...values) => {{
  const names = {json.dumps(names)}, max = {MAX_TEXT};
  const q = new URLSearchParams();
  q.set("tab", {json.dumps(tab)});
  const here = new URLSearchParams(window.location.search);
  if (here.get("present")) q.set("present", here.get("present"));
  const left = [];
  names.forEach((name, i) => {{
    let v = values[i];
    if (v === null || v === undefined) return;
    v = Array.isArray(v) ? JSON.stringify(v) : String(v);
    if (v.length > max) {{ left.push(name); return; }}
    q.set(name, v);
  }});
  const url = window.location.origin + window.location.pathname + "?" + q.toString();
  window.history.replaceState(null, "", "?" + q.toString());
  let note = left.length ? "*Left out of the link (longer than " + max + " characters): " + left.join(", ") + ".*" : "";
  try {{ navigator.clipboard.writeText(url).catch(() => {{}}); }} catch (e) {{}}
  return [url, note || "*The link is in the address bar too. Opening it shows this tab with these inputs.*"];
}}"""
