"""The cleaned set as JSONL, in the dataset's own form with a seeded train / validation split, and a report of
what was removed and why. The Fine-tuning lab reads a chat or prompt/completion export as it is, the
Preference lab a preference export."""

from __future__ import annotations

import json
import random
from collections import Counter
from dataclasses import dataclass

from playground.lessons.curation import filters as F
from playground.lessons.curation.pipeline import METHODS, Curation
from playground.lessons.curation.records import CHAT, PREFERENCE, PROMPT_COMPLETION, Record


@dataclass
class Export:
    jsonl: str
    report: dict

    def summary_md(self) -> str:
        r = self.report
        removed = "; ".join(f"{n} {why.replace('_', ' ')}" for why, n in r["removed"].items()) or "nothing"
        return (f"**Exported {r['exported']:,} rows** ({r['train']:,} train, {r['validation']:,} validation, seed "
                f"{r['seed']}) of {r['source_rows']:,}. Removed: {removed}."
                + (f" {r['redacted']:,} rows kept with personal data redacted." if r["redacted"] else "")
                + (f" {r['synthetic']:,} synthetic rows added." if r["synthetic"] else ""))


def _row(form: str, record: Record, fix=lambda s: s) -> dict:
    turns = [(r, fix(c)) for r, c in record.turns]
    if form == CHAT:
        return {"messages": [{"role": r, "content": c} for r, c in turns]}
    *prompt, (_, answer) = turns
    if len(prompt) == 1 and prompt[0][0] == "user":
        prompt_value: object = prompt[0][1]
    else:
        prompt_value = [{"role": r, "content": c} for r, c in prompt]
    if form == PROMPT_COMPLETION:  # trl's rule: both sides text, or both lists of turns
        return {"prompt": prompt_value, "completion": answer if isinstance(prompt_value, str)
                else [{"role": "assistant", "content": answer}]}
    return {"prompt": prompt_value, "chosen": answer, "rejected": fix(record.rejected)}


def export(curation: Curation, *, enabled: tuple[str, ...] = F.FILTERS, methods: tuple[str, ...] = METHODS,
           redact_pii: bool = False, validation_share: float = 0.1, seed: int = 0,
           synthetic: list[Record] = ()) -> Export:
    """The kept rows (and any synthetic survivors, chat datasets only) with "split": "train" or "validation".
    With `redact_pii`, rows whose only problem is personal data stay, with it replaced by [EMAIL], [PHONE], [CARD]."""
    form = curation.parsed.form
    removed = curation.removed(enabled, methods)
    redacted: set[int] = set()
    if redact_pii and "pii" in enabled:
        redacted = {i for i, why in removed.items() if why == ["pii"]}
    records = curation.records
    rows = [(_row(form, records[i], F.redact) if i in redacted else _row(form, records[i]))
            for i in sorted(set(curation.kept(enabled, methods)) | redacted)]
    extra = [_row(CHAT, r) for r in synthetic] if form == CHAT else []
    rows += extra
    order = list(range(len(rows)))
    random.Random(seed).shuffle(order)
    n_val = max(1, round(len(rows) * validation_share)) if len(rows) >= 2 and validation_share > 0 else 0
    validation = set(order[:n_val])
    for k, row in enumerate(rows):
        row["split"] = "validation" if k in validation else "train"
    reasons = Counter(why.split(":")[0].split(" of row")[0] for i, whys in removed.items() if i not in redacted
                      for why in whys[:1])  # each removed row counted once, under its first reason
    report = {
        "source_rows": curation.parsed.rows, "form": form, "exported": len(rows), "train": len(rows) - n_val,
        "validation": n_val, "seed": seed, "redacted": len(redacted), "synthetic": len(extra),
        "removed": dict(reasons.most_common()),
        "rows_removed": [{"row": i, "reasons": whys} for i, whys in sorted(removed.items()) if i not in redacted],
        "settings": {**vars(curation.settings), "filters": list(enabled), "deduplication": list(methods)},
        "notes": curation.notes,
    }
    return Export("\n".join(json.dumps(r, ensure_ascii=False) for r in rows) + "\n", report)


FORM_LABS = {CHAT: "Fine-tuning lab", PROMPT_COMPLETION: "Fine-tuning lab", PREFERENCE: "Preference lab"}
