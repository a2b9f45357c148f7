"""Presenter mode (`?present=1` in the page's URL): larger type, the lesson text collapsed to its idea,
high contrast, readable from the back of a room on a 1280×720 projector.

Two pieces the app hands to `launch()` (see `launch_kwargs()` in `playground.ui.app`):

- `CSS`: every rule is scoped under `html.presenter`, so a page without the class (normal mode) is untouched.
  The type scale is the theme's own variables (`--text-xxs` … `--text-xxl`) set larger, with a 20 px floor on
  the elements body text lives in; the colours are the theme's variables set to near-black on white (or white
  on near-black in dark mode), strong borders, accents of contrast ≥ 4.5:1.
- `JS`: run once when the page loads (Gradio's `js` hook; `gr.HTML` runs no scripts). With `present=1` in the
  URL it puts the class `presenter` on `<html>`, adds a "leave" link (the same URL without `present`), and
  lets a click (or Enter / Space) on a lesson intro open or close its "Notice" and "Try this" lists. Any
  other value, or none, leaves the page in normal mode.

Everything is inline: nothing is fetched (no fonts, no CDN).
"""

from __future__ import annotations

QUERY = "present"  # ?present=1 turns presenter mode on
CLASS = "presenter"  # on <html> while presenter mode is on
OPEN = "data-presenter-open"  # on a .lesson-intro whose lists a presenter opened
MIN_BODY_PX = 20  # the smallest body text presenter mode shows (the tests check it)
# gr.Markdown puts its elem_classes on the block and on the .prose inside it: the block is the one to collapse
INTRO = ".block.lesson-intro"

_P = f"html.{CLASS}"

CSS = f"""
/* --- presenter mode (?present=1): playground/ui/presenter.py ------------------------------------- */
/* the theme repeats its sizes for dark mode (on :root.dark or an element .dark inside it): set them on both */
{_P}, {_P}.dark, {_P} .dark {{
  --text-xxs: 16px; --text-xs: 18px; --text-sm: 20px; --text-md: 22px; --text-lg: 24px;
  --text-xl: 30px; --text-xxl: 36px;
}}
{_P} {{
  --neutral-400: #4b4b4b; --neutral-500: #3a3a3a; --neutral-600: #262626; --neutral-700: #171717;
  --neutral-800: #0d0d0d;
  --body-text-color: #000; --body-text-color-subdued: #262626; --block-label-text-color: #000;
  --block-info-text-color: #262626; --block-title-text-color: #000; --input-placeholder-color: #4b4b4b;
  --body-background-fill: #fff; --background-fill-primary: #fff;
  --border-color-primary: #3a3a3a; --border-color-accent: #9a3412; --block-border-width: 2px;
  --input-border-width: 2px; --input-border-color: #3a3a3a;
  --color-accent: #9a3412; --color-accent-soft: #ffedd5; --link-text-color: #1d4ed8;
  --link-text-color-hover: #1e3a8a; --link-text-color-visited: #6b21a8;
  --button-primary-background-fill: #9a3412; --button-primary-background-fill-hover: #7c2d12;
  --button-primary-text-color: #fff; --button-primary-border-color: #7c2d12;
  --button-secondary-background-fill: #e5e5e5; --button-secondary-background-fill-hover: #d4d4d4;
  --button-secondary-text-color: #000; --button-secondary-border-color: #3a3a3a;
  --checkbox-label-text-color: #000; --slider-color: #9a3412;
}}
{_P}.dark, {_P} .dark {{
  --body-text-color: #fff; --body-text-color-subdued: #e5e5e5; --block-label-text-color: #fff;
  --block-info-text-color: #e5e5e5; --block-title-text-color: #fff; --input-placeholder-color: #d4d4d4;
  --body-background-fill: #000; --background-fill-primary: #000; --border-color-primary: #d4d4d4;
  --input-border-color: #d4d4d4; --color-accent: #fb923c; --color-accent-soft: #431407;
  --link-text-color: #93c5fd; --link-text-color-hover: #bfdbfe; --link-text-color-visited: #d8b4fe;
  --button-secondary-background-fill: #262626; --button-secondary-text-color: #fff;
  --button-secondary-border-color: #d4d4d4; --checkbox-label-text-color: #fff; --slider-color: #fb923c;
  --button-primary-background-fill: #9a3412; --button-primary-background-fill-hover: #7c2d12;
  --button-primary-text-color: #fff; --button-primary-border-color: #fb923c; --border-color-accent: #fb923c;
}}
/* a floor for body text, and for text a view shrank (font-size:0.85em ...), which stays a little smaller */
{_P} .gradio-container :is(p, li, td, th, dt, dd, label, button, input, textarea, select, summary,
  .token-chip, .tc-chip) {{ font-size: max(1em, {MIN_BODY_PX}px); }}
{_P} .gradio-container :is([style*="font-size:0."], [style*="font-size: 0."]) {{
  font-size: {MIN_BODY_PX}px !important; }}
{_P} .gradio-container .prose :is(h1, h2, h3) {{ line-height: 1.2; }}
{_P} .gradio-container {{ line-height: 1.45; }}
{_P} .gradio-container :is(.tc-id, .tc-note, .tc-byte) {{ opacity: 1; }}
/* the lesson text collapsed: the idea stays, "Notice" and "Try this" open on a click */
{_P} {INTRO} {{ cursor: pointer; border-left-width: 8px; }}
{_P} {INTRO}:not([{OPEN}]) .md > :not(:first-child) {{ display: none; }}
{_P} {INTRO}::after {{
  content: "▸ Notice and Try this: click to open"; display: block; margin-top: 0.3em;
  font-size: {MIN_BODY_PX}px; font-weight: 600; color: var(--link-text-color); text-decoration: underline;
}}
{_P} {INTRO}[{OPEN}]::after {{ content: "▾ click to close"; }}
{_P} {INTRO}:focus-visible {{ outline: 4px solid var(--link-text-color); outline-offset: 2px; }}
/* plots and wide HTML stay inside their column; nothing scrolls sideways */
{_P} .gradio-container :is(.js-plotly-plot, .plot-container, svg.main-svg) {{ max-width: 100%; }}
{_P} .gradio-container .prose {{ overflow-wrap: anywhere; }}
/* larger type needs room: a slider's number box as wide as its number, an upload box as tall as its words */
{_P} .gradio-container .tab-like-container input[type="number"] {{ width: 3.6em; }}
{_P} .gradio-container button.upload-container.boundedheight {{ height: auto !important; min-height: 120px; }}
{_P} .presenter-exit {{  /* at the top of the page, beside the title: it scrolls away and covers nothing */
  position: absolute; right: 12px; top: 12px; z-index: 1000; padding: 4px 12px; border-radius: 6px;
  background: #000; color: #fff; border: 2px solid #fff; font-size: {MIN_BODY_PX}px; text-decoration: underline;
  font-family: var(--font, sans-serif);
}}
{_P} .presenter-exit:focus-visible {{ outline: 4px solid #1d4ed8; }}
"""

JS = f"""
() => {{
  const params = new URLSearchParams(window.location.search);
  if (params.get("{QUERY}") !== "1" || window.__presenterMode) return;
  window.__presenterMode = true;
  document.documentElement.classList.add("{CLASS}");

  params.delete("{QUERY}");
  const rest = params.toString();
  const exit = document.createElement("a");
  exit.className = "presenter-exit";
  exit.href = window.location.pathname + (rest ? "?" + rest : "") + window.location.hash;
  exit.textContent = "Presenter mode \\u2014 leave";
  document.body.appendChild(exit);

  const toggle = (intro) => {{
    if (intro.hasAttribute("{OPEN}")) intro.removeAttribute("{OPEN}");
    else intro.setAttribute("{OPEN}", "");
    intro.setAttribute("aria-expanded", intro.hasAttribute("{OPEN}") ? "true" : "false");
  }};
  document.addEventListener("click", (event) => {{
    const intro = event.target.closest && event.target.closest("{INTRO}");
    if (intro && !event.target.closest("a")) toggle(intro);
  }});
  document.addEventListener("keydown", (event) => {{
    if (event.key !== "Enter" && event.key !== " ") return;
    const intro = event.target.matches && event.target.matches("{INTRO}") ? event.target : null;
    if (intro) {{ event.preventDefault(); toggle(intro); }}
  }});
  // tabs mount their content when first opened: make every intro reachable by keyboard as it appears
  const mark = () => document.querySelectorAll("{INTRO}:not([tabindex])").forEach((intro) => {{
    intro.setAttribute("tabindex", "0");
    intro.setAttribute("role", "button");
    intro.setAttribute("aria-expanded", "false");
  }});
  mark();
  new MutationObserver(mark).observe(document.body, {{ childList: true, subtree: true }});
}}
"""
