"""The built-in corpora: a labelled set written for the project, and real library documentation.

"labelled" lives in assets/corpora/labelled.jsonl: short texts written by hand across eight
clearly different subjects, so a learner can check whether an embedding map keeps them apart.

"docstrings" is collected at run time from the Python libraries installed on this machine: the
first paragraph of each public function's or class's docstring, labelled by library. It is real
technical writing the learner did not choose, deduplicated, bounded and in a fixed order.
"""

from __future__ import annotations

import importlib
import inspect
import json
import re
import threading
import warnings
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

ASSETS = Path(__file__).resolve().parents[2] / "assets" / "corpora"
LABELLED_FILE = ASSETS / "labelled.jsonl"


@dataclass
class Corpus:
    name: str
    texts: list[str]
    labels: list[str] | None = None
    notice: str | None = None  # what was cut or kept, shown to the learner as it is

    def __len__(self) -> int:
        return len(self.texts)


BUILTIN_CORPORA: dict[str, str] = {
    "labelled": "Short texts written for this project on eight subjects (cooking, football, astronomy, "
    "programming, music, medicine, finance, gardening), each labelled with its subject",
    "docstrings": "Real documentation: the first paragraph of docstrings from the Python libraries "
    "installed here (numpy, pandas, scikit-learn, torch, gradio, the standard library ...), labelled by library",
}


def load_builtin(name: str, limit: int | None = None) -> Corpus:
    """A built-in corpus by key; `limit` keeps the first `limit` texts and says so in `notice`."""
    if name not in BUILTIN_CORPORA:
        raise KeyError(f"Unknown corpus '{name}'. Known corpora: {', '.join(BUILTIN_CORPORA)}.")
    texts, labels = _labelled() if name == "labelled" else _docstrings()
    texts, labels = list(texts), list(labels)
    notice = None
    if limit is not None and 0 < limit < len(texts):
        notice = f"The {name} corpus has {len(texts):,} texts; the first {limit:,} were kept."
        texts, labels = texts[:limit], labels[:limit]
    return Corpus(name=name, texts=texts, labels=labels, notice=notice)


# --- the hand-written labelled corpus -----------------------------------------------------------


@lru_cache(maxsize=1)
def _labelled() -> tuple[tuple[str, ...], tuple[str, ...]]:
    texts, labels = [], []
    with LABELLED_FILE.open(encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                row = json.loads(line)
                texts.append(row["text"])
                labels.append(row["label"])
    return tuple(texts), tuple(labels)


# --- docstrings of installed libraries -----------------------------------------------------------

# (label, root package that objects must come from, modules to walk). Order fixes the corpus order.
DOC_SOURCES: tuple[tuple[str, str, tuple[str, ...]], ...] = (
    ("python stdlib", "", ("json", "re", "collections", "itertools", "functools", "pathlib", "os.path",
                           "string", "math", "statistics", "datetime", "random", "textwrap", "csv",
                           "shutil", "heapq", "bisect", "fractions", "decimal", "difflib")),
    ("numpy", "numpy", ("numpy", "numpy.linalg", "numpy.random", "numpy.fft")),
    ("pandas", "pandas", ("pandas",)),
    ("scikit-learn", "sklearn", ("sklearn.linear_model", "sklearn.cluster", "sklearn.decomposition",
                                 "sklearn.ensemble", "sklearn.metrics", "sklearn.preprocessing",
                                 "sklearn.model_selection", "sklearn.manifold", "sklearn.neighbors",
                                 "sklearn.feature_extraction.text", "sklearn.svm", "sklearn.tree")),
    ("torch", "torch", ("torch", "torch.nn", "torch.nn.functional", "torch.optim", "torch.linalg")),
    ("gradio", "gradio", ("gradio",)),
    ("plotly", "plotly", ("plotly.express", "plotly.graph_objects")),
    ("transformers", "transformers", ("transformers.tokenization_utils_base", "transformers.generation",
                                      "transformers.pipelines")),
)
PER_LIBRARY = 400  # keeps one huge library (numpy, torch) from drowning the others
MAX_DOCSTRINGS = 2_500
MIN_CHARS, MAX_CHARS = 40, 600
_STDLIB_MODULES = frozenset(m.split(".")[0] for m in DOC_SOURCES[0][2])
_doc_lock = threading.Lock()
_SIGNATURE = re.compile(r"^[\w.]+\(.*\)\s*(->.*)?$")


def first_paragraph(doc: str | None) -> str | None:
    """The docstring's first paragraph on one line, or None when it is too short to mean much."""
    if not doc:
        return None
    lines = doc.strip().splitlines()
    while lines and _SIGNATURE.match(lines[0].strip()):  # C functions start with their signature
        lines.pop(0)
    para = re.split(r"\n\s*\n", "\n".join(lines).strip(), maxsplit=1)[0]
    para = " ".join(para.split())
    para = re.split(r"\s(?:Parameters|Args|Arguments|Returns|Example|Examples):\s", para, maxsplit=1)[0]
    if len(para) < MIN_CHARS or para.startswith((">>>", "..", "Parameters", "Deprecated")):
        return None
    if len(para) > MAX_CHARS:
        para = para[:MAX_CHARS].rsplit(" ", 1)[0] + " ..."
    return para


def _from_root(obj: object, root: str, module_name: str) -> bool:
    """Keep objects defined in the library itself, not re-exports from elsewhere."""
    home = getattr(obj, "__module__", None) or ""
    if not root:  # the standard library: defined in the module walked (or its C twin, _json ...)
        top = home.lstrip("_").split(".")[0]
        return top in _STDLIB_MODULES or home == "posixpath"
    return home == root or home.startswith(root + ".")


def _public_docs(module_name: str, root: str) -> list[str]:
    try:
        module = importlib.import_module(module_name)
    except Exception:  # a library missing or broken here simply contributes nothing
        return []
    out: list[str] = []
    for name in sorted(dir(module)):
        if name.startswith("_"):
            continue
        try:
            obj = getattr(module, name)
        except Exception:
            continue
        if not (inspect.isclass(obj) or callable(obj)) or not _from_root(obj, root, module_name):
            continue
        members = [obj]
        if inspect.isclass(obj):  # its public methods too: most of pandas lives on DataFrame
            for attr in sorted(vars(obj)):
                if not attr.startswith("_"):
                    member = vars(obj)[attr]
                    if callable(member) or isinstance(member, (classmethod, staticmethod, property)):
                        members.append(member)
        for member in members:
            try:
                text = first_paragraph(inspect.getdoc(member))
            except Exception:
                text = None
            if text:
                out.append(text)
    return out


def _docstrings() -> tuple[tuple[str, ...], tuple[str, ...]]:
    with _doc_lock:  # two tabs asking at once must not both walk every library
        return _collect_docstrings()


@lru_cache(maxsize=1)
def _collect_docstrings() -> tuple[tuple[str, ...], tuple[str, ...]]:
    seen: set[str] = set()
    per_label: list[tuple[str, list[str]]] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # deprecated attributes warn when touched
        for label, root, module_names in DOC_SOURCES:
            kept: list[str] = []
            for module_name in module_names:
                for text in _public_docs(module_name, root):
                    if len(kept) >= PER_LIBRARY:
                        break
                    if text not in seen:
                        seen.add(text)
                        kept.append(text)
            per_label.append((label, kept))
    # Cut every library by the same share, so a bounded corpus still covers all of them.
    texts: list[str] = []
    labels: list[str] = []
    total = sum(len(k) for _, k in per_label)
    share = MAX_DOCSTRINGS / total if total > MAX_DOCSTRINGS else 1.0
    for label, kept in per_label:
        n = int(len(kept) * share)
        texts += kept[:n]
        labels += [label] * n
    return tuple(texts), tuple(labels)
