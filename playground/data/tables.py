"""A learner's dataset file (JSONL, CSV or Parquet) as JSONL text, one row per line, read without running anything.

JSONL is read as UTF-8 text and left as it is (a broken line stays broken, for the reader to report).
CSV and Parquet go through `datasets` into memory; Parquet's own metadata is checked first, so a small
file that would expand into gigabytes is refused before it is decompressed. Archives, pickles and other
binary formats are refused by name and by their first bytes: nothing is unpickled or unpacked.
"""

from __future__ import annotations

import csv
import io
import json
import math
import shutil
import tempfile
from pathlib import Path

from playground.checks import UserInputError
from playground.data.uploads import MAX_FILE_BYTES, read_text

SUFFIXES = {".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "jsonl", ".csv": "csv", ".tsv": "csv",
            ".parquet": "parquet"}
MAX_UNCOMPRESSED = 500 * 1024 * 1024  # what a Parquet file may expand to in memory
MAGIC = {b"PK\x03\x04": "a zip archive", b"\x1f\x8b": "a gzip archive", b"\x80": "a Python pickle",
         b"BZh": "a bzip2 archive", b"\xfd7zXZ": "an xz archive", b"7z\xbc\xaf": "a 7-zip archive"}
TABLE_FORMS = (("messages",), ("prompt", "chosen", "rejected"), ("prompt", "completion"))


def _cell(value: object) -> object:
    """A table cell as JSON: a missing cell is empty text, a cell holding a JSON list (chat turns) is that list."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    if isinstance(value, str) and value.lstrip().startswith("["):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _check_parquet(path: str, name: str, max_rows: int) -> None:
    import pyarrow.parquet as pq

    try:
        meta = pq.ParquetFile(path).metadata
    except Exception:
        raise UserInputError(f"'{name}' is not a readable Parquet file.") from None
    if meta.num_rows > max_rows:
        raise UserInputError(f"'{name}' has {meta.num_rows:,} rows; the lab reads up to {max_rows:,}.")
    size = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if size > MAX_UNCOMPRESSED:
        raise UserInputError(f"'{name}' would expand to {size / 1e6:,.0f} MB in memory; the lab reads up to "
                             f"{MAX_UNCOMPRESSED / 1e6:,.0f} MB.")


def file_as_jsonl(path: str, max_rows: int) -> str:
    """The file's rows as JSONL text, or a UserInputError that says what is wrong with the file."""
    file = Path(path)
    name = file.name
    kind = SUFFIXES.get(file.suffix.lower())
    if kind is None:
        raise UserInputError(f"'{name}' is not a file type the lab reads: upload .jsonl, .csv or .parquet "
                             "(archives and pickles are never opened).")
    try:
        size = file.stat().st_size
        with open(file, "rb") as fh:
            head = fh.read(8)
    except OSError:
        raise UserInputError(f"The uploaded file '{name}' could not be found; please upload it again.") from None
    if size == 0:
        raise UserInputError(f"'{name}' is empty (0 bytes).")
    if size > MAX_FILE_BYTES:
        raise UserInputError(f"'{name}' is {size / 1024 / 1024:.1f} MB; the limit is {MAX_FILE_BYTES // 1024 // 1024} MB.")
    for magic, what in MAGIC.items():
        if head.startswith(magic) and kind != "parquet":
            raise UserInputError(f"'{name}' is {what}, not {kind.upper()} text; the lab does not open it.")
    if kind == "parquet" and not head.startswith(b"PAR1"):
        raise UserInputError(f"'{name}' does not start like a Parquet file (PAR1).")
    if kind == "jsonl":
        return read_text(path)
    if kind == "csv":
        text = read_text(path)  # the encoding, NUL-byte and blank-file checks, with their messages
        sep = "\t" if file.suffix.lower() == ".tsv" else ","
        header = next(csv.reader(io.StringIO(text.split("\n", 1)[0]), delimiter=sep), [])
    else:
        _check_parquet(path, name, max_rows)
    import datasets

    cache = tempfile.mkdtemp(prefix="playground-table-")
    try:
        datasets.disable_progress_bars()
        if kind == "csv":
            # every cell as text: a completion "4." must not become the number 4.0
            text_columns = datasets.Features({c: datasets.Value("string") for c in header})
            table = datasets.Dataset.from_csv(path, keep_in_memory=True, cache_dir=cache, sep=sep,
                                              features=text_columns)
        else:
            table = datasets.Dataset.from_parquet(path, keep_in_memory=True, cache_dir=cache)
    except UserInputError:
        raise
    except Exception as exc:
        raise UserInputError(f"'{name}' could not be read as {kind.upper()}: {str(exc).splitlines()[0][:200]}") from None
    finally:
        shutil.rmtree(cache, ignore_errors=True)
    columns = list(table.column_names)
    if not any(all(c in columns for c in form) for form in TABLE_FORMS):
        raise UserInputError(f"'{name}' has the columns {', '.join(columns) or '(none)'}; the lab needs "
                             "\"messages\", or \"prompt\" and \"completion\", or \"prompt\", \"chosen\" and \"rejected\".")
    if len(table) == 0:
        raise UserInputError(f"'{name}' has a header but no rows.")
    if len(table) > max_rows:
        raise UserInputError(f"'{name}' has {len(table):,} rows; the lab reads up to {max_rows:,}.")
    return "\n".join(json.dumps({k: _cell(v) for k, v in row.items()}, ensure_ascii=False, default=str)
                     for row in table.to_list())
