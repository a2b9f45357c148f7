"""What every training lab shows the same way: the run's progress, the curves' colours, and the
held-out prompts answered by each model side by side."""

from __future__ import annotations

import html
from typing import Sequence

TRAIN, VALID, BEST = "#4C78A8", "#F58518", "#54A24B"  # training curve, validation curve, best step


def progress_md(place: int, status: str, step: int, total_steps: int, elapsed: float, left: float | None) -> str:
    if place:
        return (f"**Waiting in line: place {place}.** One run trains at a time on this machine; "
                "yours starts when the ones before it finish.")
    if not total_steps:
        return f"**Starting:** {status} …"
    bar = f'<progress value="{step}" max="{total_steps}" style="width:100%"></progress>'
    eta = f", about {left:.0f} s of training left" if left is not None else ""
    return f"{bar}\n\n**Step {step} of {total_steps}** · {elapsed:.0f} s{eta} · {status}"


EMPTY = "<i>(nothing: it ended its turn at once)</i>"


def answers_html(questions: Sequence[str], columns: Sequence[tuple[str, Sequence[str] | None]]) -> str:
    """The held-out prompts with one column of answers per model; a column still to come is None."""
    head = "".join(f"<th>{html.escape(title)}</th>" for title, _ in columns)
    body = []
    for i, q in enumerate(questions):
        cells = "".join(
            "<td style='vertical-align:top'><i>… after training</i></td>" if texts is None else
            f"<td style='vertical-align:top;white-space:pre-wrap'>{html.escape(texts[i]) or EMPTY}</td>"
            for _, texts in columns)
        body.append(f"<tr><td style='vertical-align:top'><b>{html.escape(q)}</b></td>{cells}</tr>")
    return ("<table class='ft-answers' style='width:100%;table-layout:fixed'><thead><tr>"
            f"<th style='width:18%'>Held-out prompt</th>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>")
