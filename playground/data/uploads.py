"""Learners' own text files: CSV, TXT (one text per line) or JSONL, read safely into a `Corpus`.

Files are only ever decoded as UTF-8 text and parsed as CSV or JSON: nothing is unpickled or
evaluated. Every problem becomes a `UserInputError` whose sentence says what is wrong and where;
every limit that cuts something says what was kept.
"""

from __future__ import annotations

import csv
import io
import json
import os
from pathlib import Path

from playground.data.corpora import Corpus
from playground.checks import UserInputError

MAX_FILE_BYTES = 50 * 1024 * 1024  # the same limit Gradio's max_file_size enforces on upload
SUFFIXES = {".csv": "csv", ".tsv": "csv", ".txt": "txt", ".text": "txt", ".jsonl": "jsonl", ".ndjson": "jsonl"}
NO_LABEL = "(no label)"


def _kind(path: str) -> str:
    suffix = Path(path).suffix.lower()
    if suffix not in SUFFIXES:
        raise UserInputError(
            f"'{Path(path).name}' is not a file type this lesson reads. Upload a .csv, .txt (one text per "
            "line) or .jsonl file."
        )
    return SUFFIXES[suffix]


def read_text(path: str) -> str:
    """The file as UTF-8 text, or a UserInputError naming the size, emptiness or bad byte."""
    name = Path(path).name
    try:
        size = os.path.getsize(path)
    except OSError:
        raise UserInputError(f"The uploaded file '{name}' could not be found; please upload it again.") from None
    if size > MAX_FILE_BYTES:
        raise UserInputError(
            f"'{name}' is {size / 1024 / 1024:.1f} MB; the limit is {MAX_FILE_BYTES // 1024 // 1024} MB. "
            "Upload a smaller file, for example the first few thousand rows."
        )
    if size == 0:
        raise UserInputError(f"'{name}' is empty (0 bytes). Upload a file with some text in it.")
    with open(path, "rb") as fh:
        raw = fh.read()
    try:
        text = raw.decode("utf-8-sig")  # -sig: Excel's "CSV UTF-8" starts with a byte-order mark
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise UserInputError(
            f"'{name}' is not UTF-8 text: byte 0x{raw[exc.start]:02X} on line {line} (byte {column} of that "
            f"line, byte {exc.start:,} of the file) cannot be read. Save the file as UTF-8 (in Excel: "
            "'CSV UTF-8') and upload it again."
        ) from None
    if not text.strip():
        raise UserInputError(f"'{name}' contains only blank space. Upload a file with some text in it.")
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        raise UserInputError(f"'{name}' contains a NUL byte on line {line}: it looks like a binary file, not text.")
    return text


def _csv_reader(text: str) -> csv.reader:
    sample = text[:20_000]
    try:
        dialect = csv.Sniffer().sniff(sample.split("\n", 1)[0], delimiters=",;\t|")
    except csv.Error:
        dialect = csv.excel
    return csv.reader(io.StringIO(text, newline=""), dialect)


def _csv_header(text: str, name: str) -> list[str]:
    try:
        header = next(_csv_reader(text))
    except (StopIteration, csv.Error):
        header = []
    header = [h.strip() for h in header]
    if not any(header):
        raise UserInputError(f"'{name}' has no header row. The first line of a CSV must name its columns, e.g. text,label.")
    return header


def _jsonl_rows(text: str, name: str):
    """(line number, object) for each non-blank line; a bare JSON string counts as {"text": ...}."""
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserInputError(
                f"Line {number} of '{name}' is not valid JSON ({exc.msg} at character {exc.colno}). "
                "A JSONL file has one JSON object per line, e.g. {\"text\": \"...\", \"label\": \"...\"}."
            ) from None
        if isinstance(row, str):
            row = {"text": row}
        if not isinstance(row, dict):
            raise UserInputError(
                f"Line {number} of '{name}' is a JSON {type(row).__name__}, not an object. "
                "Each line should look like {\"text\": \"...\", \"label\": \"...\"}."
            )
        yield number, row


def upload_columns(path: str) -> list[str]:
    """The columns a learner can choose from: the CSV header, the JSONL keys, ["text"] for TXT."""
    kind = _kind(path)
    if kind == "txt":
        return ["text"]
    text = read_text(path)
    name = Path(path).name
    if kind == "csv":
        return _csv_header(text, name)
    keys: list[str] = []
    for i, (_, row) in enumerate(_jsonl_rows(text, name)):
        keys += [k for k in row if k not in keys]
        if i >= 200:  # keys of the first rows are enough to choose from
            break
    if not keys:
        raise UserInputError(f"'{name}' has no JSON objects with keys in it.")
    return keys


def _pick(columns: list[str], wanted: str | None, what: str, name: str, default_first: bool) -> str | None:
    if wanted:
        if wanted not in columns:
            raise UserInputError(
                f"'{name}' has no column '{wanted}' for the {what}. Its columns are: {', '.join(columns)}."
            )
        return wanted
    if not default_first:
        return None
    for guess in ("text", "sentence", "document", "content", "body"):
        if guess in columns:
            return guess
    return columns[0]


def read_upload(
    path: str,
    text_column: str | None = None,
    label_column: str | None = None,
    max_rows: int = 20_000,
    max_chars_per_text: int = 2_000,
) -> Corpus:
    """Read a CSV / TXT / JSONL upload. Blank texts are skipped; long ones are cut; at most
    `max_rows` texts are kept. `notice` says what was skipped, cut or kept."""
    kind = _kind(path)
    name = Path(path).name
    text = read_text(path)

    rows: list[tuple[object, object]]  # (text value, label value)
    if kind == "txt":
        if label_column:
            raise UserInputError("A .txt file has one text per line and no columns, so it has no labels. Leave the label column empty.")
        rows = [(line, None) for line in text.splitlines()]
    elif kind == "csv":
        header = _csv_header(text, name)
        tcol = _pick(header, text_column, "text", name, default_first=True)
        lcol = _pick(header, label_column, "labels", name, default_first=False)
        ti, li = header.index(tcol), (header.index(lcol) if lcol else None)
        reader = _csv_reader(text)
        next(reader)
        rows = []
        try:
            for record in reader:
                if not record:
                    continue
                rows.append((record[ti] if ti < len(record) else "", record[li] if li is not None and li < len(record) else None))
        except csv.Error as exc:
            raise UserInputError(f"Line {reader.line_num} of '{name}' is not valid CSV ({exc}).") from None
    else:
        parsed = list(_jsonl_rows(text, name))
        keys: list[str] = []
        for _, row in parsed[:200]:
            keys += [k for k in row if k not in keys]
        if not keys:
            raise UserInputError(f"'{name}' has no JSON objects with keys in it.")
        tcol = _pick(keys, text_column, "text", name, default_first=True)
        lcol = _pick(keys, label_column, "labels", name, default_first=False)
        rows = [(row.get(tcol), row.get(lcol) if lcol else None) for _, row in parsed]

    with_labels = kind != "txt" and bool(label_column)
    total = len(rows)
    texts: list[str] = []
    labels: list[str] = []
    blank = cut = 0
    for value, label in rows:
        t = "" if value is None else (value if isinstance(value, str) else json.dumps(value, ensure_ascii=False))
        t = t.strip()
        if not t:
            blank += 1
            continue
        if len(texts) >= max_rows:
            continue
        if len(t) > max_chars_per_text:
            t = t[:max_chars_per_text]
            cut += 1
        texts.append(t)
        if with_labels:
            lab = "" if label is None else str(label).strip()
            labels.append(lab or NO_LABEL)
    if not texts:
        raise UserInputError(f"'{name}' has {total:,} rows but every text in it is blank. Check the text column.")

    notes = []
    usable = total - blank
    if usable > max_rows:
        notes.append(f"'{name}' has {usable:,} texts; the first {max_rows:,} were kept.")
    if blank:
        notes.append(f"{blank:,} blank row{'s' if blank != 1 else ''} skipped.")
    if cut:
        notes.append(f"{cut:,} text{'s' if cut != 1 else ''} longer than {max_chars_per_text:,} characters cut to that length.")
    return Corpus(name=name, texts=texts, labels=labels if with_labels else None, notice=" ".join(notes) or None)
