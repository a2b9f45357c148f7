"""The shared data layer: built-in corpora, upload parsing and the embedding cache."""

from __future__ import annotations

import json
import re
from collections import Counter

import numpy as np
import pytest

from playground.data import BUILTIN_CORPORA, Corpus, load_builtin, read_upload, upload_columns
from playground.data.uploads import MAX_FILE_BYTES
from playground.models.embedding_cache import EmbeddingCache, embed_texts
from playground.checks import UserInputError

# --- built-in corpora -----------------------------------------------------------------------------


def test_labelled_corpus_is_written_balanced_and_clean():
    corpus = load_builtin("labelled")
    assert isinstance(corpus, Corpus) and corpus.notice is None
    assert 350 <= len(corpus.texts) == len(corpus.labels)
    counts = Counter(corpus.labels)
    assert len(counts) == 8 and min(counts.values()) >= 40
    assert len(set(corpus.texts)) == len(corpus.texts)  # no duplicates, no templated filler
    assert all(15 <= len(t) <= 300 for t in corpus.texts)
    # every prefix covers the subjects: a learner who keeps the first 80 still sees all eight
    assert len(set(load_builtin("labelled", limit=80).labels)) == 8


def test_limit_says_what_was_kept():
    corpus = load_builtin("labelled", limit=50)
    assert len(corpus.texts) == 50 == len(corpus.labels)
    assert "first 50" in corpus.notice


def test_unknown_corpus():
    assert set(BUILTIN_CORPORA) >= {"labelled", "docstrings"}
    with pytest.raises(KeyError):
        load_builtin("nope")


def test_docstrings_are_real_bounded_deterministic():
    a = load_builtin("docstrings")
    b = load_builtin("docstrings")
    assert a.texts == b.texts and a.labels == b.labels
    assert 500 <= len(a.texts) <= 2_500
    assert len(set(a.texts)) == len(a.texts)
    labels = Counter(a.labels)
    assert {"numpy", "python stdlib"} <= set(labels) and len(labels) >= 5
    # the first paragraph of json.dumps' real docstring is in it, labelled as the standard library
    import inspect
    import json as json_module

    first = " ".join(inspect.getdoc(json_module.dumps).split("\n\n")[0].split())
    assert a.labels[a.texts.index(first)] == "python stdlib"


# --- uploads --------------------------------------------------------------------------------------


def write(tmp_path, name, content, mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return str(path)


def test_csv_with_text_and_label_columns(tmp_path):
    path = write(tmp_path, "t.csv", 'id,body,topic\n1,"Hello, world",greeting\n2,Goodbye,farewell\n3,,empty\n')
    assert upload_columns(path) == ["id", "body", "topic"]
    corpus = read_upload(path, text_column="body", label_column="topic")
    assert corpus.texts == ["Hello, world", "Goodbye"] and corpus.labels == ["greeting", "farewell"]
    assert "1 blank row skipped" in corpus.notice


def test_semicolon_csv_and_default_text_column(tmp_path):
    path = write(tmp_path, "t.csv", "text;label\nuna frase;es\nun autre;fr\n")
    corpus = read_upload(path)
    assert corpus.texts == ["una frase", "un autre"] and corpus.labels is None


def test_txt_and_jsonl(tmp_path):
    txt = write(tmp_path, "t.txt", "first line\n\nsecond line\n")
    assert upload_columns(txt) == ["text"]
    assert read_upload(txt).texts == ["first line", "second line"]
    rows = [{"sentence": "a cat", "tag": "pets"}, {"sentence": "a dog", "tag": 3}, "bare string"]
    jl = write(tmp_path, "t.jsonl", "\n".join(json.dumps(r) for r in rows))
    assert upload_columns(jl) == ["sentence", "tag", "text"]
    corpus = read_upload(jl, text_column="sentence", label_column="tag")
    assert corpus.texts == ["a cat", "a dog"] and corpus.labels == ["pets", "3"]


@pytest.mark.parametrize(
    "name,content,kwargs,needle",
    [
        ("empty.csv", "", {}, "empty (0 bytes)"),
        ("blank.txt", "  \n\n ", {}, "only blank space"),
        ("t.csv", "a,b\n1,2\n", {"text_column": "text"}, "no column 'text'"),
        ("t.csv", "a,b\n1,2\n", {"text_column": "a", "label_column": "zzz"}, "Its columns are: a, b"),
        ("t.jsonl", '{"text": "ok"}\n{broken\n', {}, "Line 2"),
        ("t.jsonl", '[1, 2]\n', {}, "not an object"),
        ("t.pdf", "x", {}, ".csv, .txt"),
        ("t.txt", "hi\n", {"label_column": "x"}, "no labels"),
    ],
)
def test_bad_uploads_get_clear_messages(tmp_path, name, content, kwargs, needle):
    path = write(tmp_path, name, content)
    with pytest.raises(UserInputError, match=re.escape(needle)):
        read_upload(path, **kwargs)


def test_non_utf8_names_line_and_byte(tmp_path):
    path = write(tmp_path, "latin.csv", "text\nfine\ncaf\xe9 au lait\n".encode("latin-1"), mode="wb")
    with pytest.raises(UserInputError) as err:
        read_upload(path)
    msg = str(err.value)
    assert "not UTF-8" in msg and "0xE9" in msg and "line 3" in msg and "byte 4 of that line" in msg


def test_too_large_file_is_refused_before_reading(tmp_path):
    path = tmp_path / "big.txt"
    with open(path, "wb") as fh:
        fh.truncate(MAX_FILE_BYTES + 1)  # sparse: no 50 MB written to disk
    with pytest.raises(UserInputError, match=re.escape("50.0 MB; the limit is 50 MB")):
        read_upload(str(path))


def test_hundred_thousand_rows_keeps_the_first_and_says_so(tmp_path):
    lines = "text,label\n" + "".join(f"sentence number {i},{i % 7}\n" for i in range(100_000))
    path = write(tmp_path, "many.csv", lines)
    corpus = read_upload(path, label_column="label", max_rows=20_000)
    assert len(corpus.texts) == 20_000 == len(corpus.labels)
    assert corpus.texts[-1] == "sentence number 19999"
    assert "100,000 texts; the first 20,000 were kept" in corpus.notice


def test_long_texts_are_cut_and_counted(tmp_path):
    path = write(tmp_path, "t.txt", "x" * 5000 + "\nshort\n")
    corpus = read_upload(path, max_chars_per_text=100)
    assert [len(t) for t in corpus.texts] == [100, 5]
    assert "1 text longer than 100 characters" in corpus.notice


# --- the embedding cache --------------------------------------------------------------------------


def test_embed_texts_matches_encode_and_caches(hub, encoder):
    texts = ["The cat sat on the mat.", "Stocks fell sharply today.", "The cat sat on the mat.", "A kitten naps."]
    cache = EmbeddingCache()
    calls = []
    vecs = embed_texts(hub, texts, cache=cache, progress=lambda f, desc="": calls.append(f))
    ref = encoder.model.encode(texts)
    assert vecs.dtype == np.float32 and vecs.shape == ref.shape
    np.testing.assert_allclose(vecs, ref, atol=1e-5)
    assert cache.encoded == 3 and calls[-1] == 1.0  # the duplicate was encoded once
    again = embed_texts(hub, texts[::-1] + ["A kitten naps."], cache=cache)
    assert cache.encoded == 3  # nothing new: served from the cache
    np.testing.assert_array_equal(again[:4], vecs[::-1])
    embed_texts(hub, ["something new"], cache=cache)
    assert cache.encoded == 4


def test_cache_is_bounded():
    cache = EmbeddingCache(max_entries=3)
    cache.put_many("m", {str(i): np.full(2, i, np.float32) for i in range(5)})
    assert len(cache) == 3 and set(cache.get_many("m", ["0", "1", "2", "3", "4"])) == {"2", "3", "4"}
