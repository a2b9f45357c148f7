"""The Data lab: every planted problem of the messy set found and no clean row touched; exact and MinHash groups
equal bare hashing / datasketch, semantic groups equal SentenceTransformer.encode's cosines; the export
round-trips through the training labs' loaders; bad files get a sentence; the tab works in a browser."""

from __future__ import annotations

import hashlib
import io
import json
import math
import pickle
import unicodedata
import zipfile

import numpy as np
import pytest

from playground.checks import UserInputError
from playground.data.tables import file_as_jsonl
from playground.lessons.curation import duplicates as D
from playground.lessons.curation import filters as F
from playground.lessons.curation import pipeline as P
from playground.lessons.curation import synthetic as S
from playground.lessons.curation import tab
from playground.lessons.curation.export import export
from playground.lessons.curation.records import parse

MESSY = tab.builtin_text("messy")
PLANTED = json.loads((tab.ASSETS / "planted.json").read_text(encoding="utf-8"))
ROWS = {int(k): v for k, v in PLANTED["rows"].items()}


def kinds(problem: str) -> dict[int, int | None]:
    return {i: p.get("of") for i, p in ROWS.items() if problem in p["problems"]}


@pytest.fixture(scope="module")
def messy(hub):
    return P.curate(hub, MESSY, P.Settings())


def in_group(groups: list[list[int]], a: int, b: int) -> bool:
    return any(a in g and b in g for g in groups)


# --- the built-in set: every planted problem, no false alarm --------------------------------------------


def test_the_context_window_is_the_models_own(lm):
    assert P.CONTEXT_WINDOW == lm.model.config.max_position_embeddings


def test_every_planted_problem_is_found(messy):
    invalid = dict(messy.parsed.invalid)
    for problem in ("invalid_json", "wrong_role"):
        for i in kinds(problem):
            assert i in invalid, f"row {i} ({ROWS[i]['note']}) was not found invalid"
    assert "JSON" in invalid[next(iter(kinds("invalid_json")))]
    for i in kinds("wrong_role"):
        assert "role" in invalid[i] or "content" in invalid[i]
    for problem, method in (("exact_duplicate", "exact"), ("near_duplicate", "near"), ("paraphrase", "semantic")):
        for i, of in kinds(problem).items():
            assert in_group(messy.groups(method), of, i), f"{method} missed row {i}, a {problem} of row {of}"
    flags = {"empty": "empty", "truncated": "truncated", "too_long": "too_long", "pii": "pii",
             "boilerplate": "boilerplate", "repetition": "repetition", "wrong_language": "language"}
    for problem, name in flags.items():
        for i in kinds(problem):
            assert i in messy.flags[name], f"the {name} filter missed row {i} ({ROWS[i]['note']})"
    assert max(messy.lengths[i] for i in kinds("too_long")) > P.CONTEXT_WINDOW  # far over the window


def test_no_false_alarm_on_the_clean_rows(messy):
    originals = {p["of"] for p in ROWS.values() if p.get("of") is not None}
    clean = [r.index for r in messy.parsed.records if r.index not in ROWS]
    assert len(clean) > 150
    flagged = {i for rows in messy.flags.values() for i in rows}
    grouped_later = {i for m in P.METHODS for g in messy.groups(m) for i in g[1:]}
    grouped = {i for m in P.METHODS for g in messy.groups(m) for i in g}
    for i in clean:
        assert i not in flagged, f"clean row {i} was flagged: {[n for n, r in messy.flags.items() if i in r]}"
        assert i not in grouped_later, f"clean row {i} was called a duplicate"
        assert i in originals or i not in grouped, f"clean row {i} is in a duplicate group"
    assert set(messy.kept()) >= set(clean)


def test_minhash_misses_paraphrases_that_embeddings_catch(messy):
    missed = [i for i, of in kinds("paraphrase").items() if not in_group(messy.near.groups, of, i)]
    assert len(missed) == len(kinds("paraphrase"))


def test_a_low_semantic_threshold_merges_rows_that_only_share_a_topic(hub, messy):
    low = P.curate(hub, MESSY, P.Settings(semantic_threshold=0.7))
    siblings = PLANTED["topic_siblings"]
    assert siblings and all(not in_group(messy.groups("semantic"), a, b) for a, b in siblings)
    assert all(in_group(low.groups("semantic"), a, b) for a, b in siblings)


def test_the_api_json_keeps_the_first_row_of_each_group(messy):
    out = messy.as_json()
    assert set(out) == {"rows", "form", "invalid", "exact_duplicates", "near_duplicates", "semantic_duplicates",
                        "flagged", "kept"}
    assert set(out["flagged"]) == set(F.FILTERS) and out["form"] == "chat" and out["rows"] == len(MESSY.splitlines())
    dropped = {i for k in ("exact_duplicates", "near_duplicates", "semantic_duplicates") for g in out[k] for i in g[1:]}
    dropped |= {i for rows in out["flagged"].values() for i in rows} | {e["row"] for e in out["invalid"]}
    assert out["kept"] == sorted(set(range(out["rows"])) - dropped)
    assert all(g == sorted(g) for k in ("exact_duplicates", "near_duplicates") for g in out[k])


# --- parity ------------------------------------------------------------------------------------------------


def bare_normalise(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).lower().split())


def components(pairs, n) -> list[list[int]]:
    import scipy.sparse as sp
    from scipy.sparse.csgraph import connected_components

    a = [p[0] for p in pairs]
    b = [p[1] for p in pairs]
    _, label = connected_components(sp.coo_matrix((np.ones(len(a)), (a, b)), shape=(n, n)), directed=False)
    groups: dict[int, list[int]] = {}
    for i, lab in enumerate(label):
        groups.setdefault(lab, []).append(i)
    return sorted((g for g in groups.values() if len(g) > 1), key=lambda g: g[0])


def test_exact_groups_equal_hashing_the_normalised_text(messy):
    by_hash: dict[str, list[int]] = {}
    for r in messy.parsed.records:
        by_hash.setdefault(hashlib.sha256(bare_normalise(r.text()).encode()).hexdigest(), []).append(r.index)
    assert messy.exact == sorted((g for g in by_hash.values() if len(g) > 1), key=lambda g: g[0])


@pytest.mark.parametrize("threshold,perms,k", [(0.7, 128, 5), (0.5, 64, 3), (0.85, 256, 8)])
def test_minhash_groups_equal_bare_datasketch(messy, threshold, perms, k):
    from datasketch import MinHash, MinHashLSH

    records = messy.parsed.records
    sets = []
    for r in records:
        t = bare_normalise(r.text())
        sets.append([t.encode()] if len(t) <= k else sorted({t[i:i + k].encode() for i in range(len(t) - k + 1)}))
    lsh = MinHashLSH(threshold=threshold, num_perm=perms)
    minhashes = MinHash.bulk(sets, num_perm=perms)
    for n, m in enumerate(minhashes):
        lsh.insert(n, m)
    pairs = {(min(a, b), max(a, b)) for a, m in enumerate(minhashes) for b in lsh.query(m) if a != b}
    expected = [[records[i].index for i in g] for g in components(sorted(pairs), len(records))]
    ours = D.near_groups([r.text() for r in records], [r.index for r in records], threshold, perms, k)
    assert ours.groups == expected and (ours.bands, ours.rows_per_band) == (lsh.b, lsh.r)


def test_semantic_groups_equal_the_cosine_of_encode(messy, encoder):
    records = messy.parsed.records
    v = encoder.model.encode([r.text() for r in records])
    v = v / np.linalg.norm(v, axis=1, keepdims=True)
    sims = v @ v.T
    a, b = np.nonzero(np.triu(sims >= P.DEFAULTS["semantic_threshold"], k=1))
    expected = [[records[i].index for i in g] for g in components(list(zip(a, b)), len(records))]
    assert messy.groups("semantic") == expected
    for i, j, s in messy.semantic.pairs[:20]:
        ii, jj = [r.index for r in records].index(i), [r.index for r in records].index(j)
        assert s == pytest.approx(float(sims[ii, jj]), abs=1e-5)


def test_the_blocked_search_equals_the_full_matrix(monkeypatch):
    rng = np.random.default_rng(0)
    v = rng.standard_normal((300, 16)).astype(np.float32)
    v[150:] = v[:150] + 0.2 * rng.standard_normal((150, 16)).astype(np.float32)
    n = v / np.linalg.norm(v, axis=1, keepdims=True)
    a, b = np.nonzero(np.triu(n @ n.T >= 0.95, k=1))
    monkeypatch.setattr(D, "MAX_BLOCK_CELLS", 1000)  # blocks of 3 rows: many blocks, never the 300 x 300 matrix
    assert [(i, j) for i, j, _ in D.similar_pairs(v, 0.95)] == sorted(zip(a.tolist(), b.tolist()))


def test_the_lsh_s_curve_is_the_banding_formula():
    b, r = D.lsh_bands(0.7, 128)
    s = np.linspace(0, 1, 11)
    assert np.allclose(D.s_curve(s, b, r), 1 - (1 - s ** r) ** b)
    assert D.s_curve(np.array(0.0), b, r) == 0 and D.s_curve(np.array(1.0), b, r) == 1


def test_token_lengths_are_the_chat_templates(hub, messy):
    tok = hub.tokenizer(P.MODEL)
    for r in messy.parsed.records[:25]:
        assert messy.lengths[r.index] == len(tok.apply_chat_template(r.messages(), tokenize=True, return_dict=True)["input_ids"])


# --- filters -----------------------------------------------------------------------------------------------


def test_personal_data_checks_luhn_and_redacts():
    assert F.luhn_ok("4111111111111111") and not F.luhn_ok("4111111111111112")
    text = "Mail ana@example.org or call +1 415 555 0134; card 4111 1111 1111 1111; parcel 1234 5678 9012 3456."
    assert [f.kind for f in F.personal_data(text)] == ["email", "phone", "card"]
    assert F.redact(text) == "Mail [EMAIL] or call [PHONE]; card [CARD]; parcel 1234 5678 9012 3456."
    assert not F.personal_data("In 1969, 3 astronauts flew 384,400 km.")


def test_the_other_filters_on_plain_examples():
    assert F.truncated("It works because the") and not F.truncated("It works.") and not F.truncated('He said "yes."')
    assert F.repetition("I am here. " * 6) and not F.repetition("A calm sea, a long walk and a warm cup of tea by the fire.")
    assert F.boilerplate("As an AI language model, I cannot do that.") == "as an ai language model"
    assert F.not_english("Le chat dort sur le canapé toute la journée, comme toujours.")
    assert not F.not_english("The cat sleeps on the sofa all day, as always.")


# --- rows and files ----------------------------------------------------------------------------------------


def test_forms_are_detected_and_mixed_rows_are_invalid():
    pc = '{"prompt": "a?", "completion": "b."}\n{"prompt": "c?", "completion": "d."}\n{"messages": []}'
    parsed = parse(pc)
    assert parsed.form == "prompt_completion" and [i for i, _ in parsed.invalid] == [2]
    pref = parse('{"prompt": "q?", "chosen": "yes.", "rejected": "no"}\n{"prompt": "q2?", "chosen": "a."}')
    assert pref.form == "preference" and "rejected" in dict(pref.invalid)[1]
    with pytest.raises(UserInputError, match="empty"):
        parse("  \n")
    with pytest.raises(UserInputError, match="training example"):
        parse('{"text": "only raw text"}')


def write(tmp_path, name, data: bytes) -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_csv_and_parquet_are_read_through_datasets(tmp_path):
    import pandas as pd

    frame = pd.DataFrame({"prompt": ["What is 2+2?", "Name a colour."], "completion": ["4.", None]})
    frame.to_csv(tmp_path / "set.csv", index=False)
    rows = [json.loads(line) for line in file_as_jsonl(str(tmp_path / "set.csv"), 100).splitlines()]
    assert rows == [{"prompt": "What is 2+2?", "completion": "4."}, {"prompt": "Name a colour.", "completion": ""}]
    pref = pd.DataFrame({"prompt": ["Q?"], "chosen": ["Yes."], "rejected": ["No."]})
    pref.to_parquet(tmp_path / "pairs.parquet")
    assert parse(file_as_jsonl(str(tmp_path / "pairs.parquet"), 100)).form == "preference"
    chat = pd.DataFrame({"messages": [json.dumps([{"role": "user", "content": "Hi?"}, {"role": "assistant", "content": "Hello."}])]})
    chat.to_csv(tmp_path / "chat.csv", index=False)
    assert parse(file_as_jsonl(str(tmp_path / "chat.csv"), 100)).records[0].answers() == ["Hello."]


@pytest.mark.parametrize("name,data,message", [
    ("empty.jsonl", b"", "empty"),
    ("latin1.jsonl", '{"prompt": "caf\u00e9"}'.encode("latin-1"), "not UTF-8"),
    ("cols.csv", b"question,answer\nq,a\n", "needs"),
    ("bomb.jsonl", b"PK\x03\x04" + b"\0" * 50, "zip archive"),
    ("data.pkl", pickle.dumps({"a": 1}), "not a file type"),
    ("fake.parquet", b"hello world", "Parquet"),
    ("bin.csv", b"a,b\n\x00\x01", "binary"),
])
def test_bad_files_get_a_sentence(tmp_path, name, data, message):
    with pytest.raises(UserInputError, match=message):
        file_as_jsonl(write(tmp_path, name, data), 100)


def test_a_zip_renamed_jsonl_is_not_unpacked(tmp_path):
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("big.jsonl", "0" * 10_000_000)  # 10 MB that packs into a few kB
    with pytest.raises(UserInputError, match="zip archive"):
        file_as_jsonl(write(tmp_path, "small.jsonl", buf.getvalue()), 100)


@pytest.mark.parametrize("value", [math.nan, -1, 2, "x"])
def test_bad_thresholds_get_a_sentence(value):
    with pytest.raises(UserInputError, match="threshold"):
        P.check_settings(value, 0.9, 1024)


# --- export ------------------------------------------------------------------------------------------------


def test_the_export_trains_in_the_finetuning_lab(messy):
    from playground.training.rows import parse_jsonl, split_rows

    out = export(messy, seed=3, validation_share=0.2)
    rows = parse_jsonl(out.jsonl, max_rows=5000)
    assert len(rows) == len(messy.kept()) == out.report["exported"]
    assert sum(r.split == "validation" for r in rows) == out.report["validation"] == round(len(rows) * 0.2)
    splits = split_rows(rows)
    assert splits.validation and splits.train and splits.test
    assert export(messy, seed=3, validation_share=0.2).jsonl == out.jsonl  # seeded
    assert sum(out.report["removed"].values()) == messy.parsed.rows - len(rows)
    redacted = export(messy, redact_pii=True)
    assert redacted.report["redacted"] == len([i for i in kinds("pii")])
    assert "[EMAIL]" in redacted.jsonl or "[PHONE]" in redacted.jsonl
    assert not any(f.kind for line in redacted.jsonl.splitlines() for f in F.personal_data(line))


def test_a_preference_export_loads_in_the_preference_lab(hub):
    from playground.lessons.preference.pairs import parse_pairs

    asks = [("Name a fruit that is yellow.", "A banana."), ("How many legs does a spider have?", "Eight."),
            ("What gas do plants take in?", "Carbon dioxide, which they turn into sugar with sunlight."),
            ("Which planet is known as the red planet?", "Mars."), ("What is the boiling point of water at sea level?",
            "One hundred degrees Celsius."), ("Who wrote Romeo and Juliet?", "William Shakespeare.")]
    lines = [json.dumps({"prompt": q, "chosen": a, "rejected": "As an AI language model, I cannot say."}) for q, a in asks]
    lines.append(lines[0])  # an exact duplicate
    c = P.curate(hub, "\n".join(lines), P.Settings())
    assert c.parsed.form == "preference" and [6] in [g[1:] for g in c.exact]
    pairs = parse_pairs(export(c).jsonl)
    assert len(pairs) == 6


def test_a_prompt_completion_export_loads_in_the_finetuning_lab(hub):
    from playground.training.rows import parse_jsonl

    lines = [json.dumps({"prompt": "What colour is the sky on a clear day?", "completion": "Blue."}),
             json.dumps({"prompt": [{"role": "system", "content": "Answer briefly."},
                                    {"role": "user", "content": "How many days are in a week?"}], "completion": "Seven."}),
             json.dumps({"prompt": "Name the largest ocean.", "completion": "The Pacific Ocean."})]
    c = P.curate(hub, "\n".join(lines), P.Settings())
    rows = parse_jsonl(export(c).jsonl)
    assert c.parsed.form == "prompt_completion" and [r.reference() for r in rows] == ["Blue.", "Seven.", "The Pacific Ocean."]
    assert rows[1].chat()[0] == {"role": "system", "content": "Answer briefly."}


# --- self-instruct -----------------------------------------------------------------------------------------


def test_self_instruct_is_seeded_and_filtered(hub):
    a = S.self_instruct(hub, S.builtin_seeds(), 2, 5, P.Settings())
    b = S.self_instruct(hub, S.builtin_seeds(), 2, 5, P.Settings())
    assert a.tasks == b.tasks and a.answers == b.answers  # the same seed writes the same set
    assert a.curation.parsed.rows == len(a.seeds) + 2
    assert set(a.survivors()) <= set(range(len(a.seeds), len(a.seeds) + 2))
    for k, done in enumerate(a.finished):
        if not done:
            assert len(a.seeds) + k in a.curation.flags["truncated"]
    assert 0 <= a.diversity["synthetic"]["spread"] <= 2 and 0 < a.diversity["seeds"]["distinct_bigrams"] <= 1


# --- through the app ---------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def lesson_app(hub):
    from conftest import launch_lesson

    from playground.lessons import curation

    yield from launch_lesson(hub, curation)


@pytest.mark.app
def test_the_curate_endpoint_answers_as_the_api_says(lesson_app, messy):
    from gradio_client import Client

    client = Client(lesson_app, verbose=False)
    info = client.view_api(return_format="dict", print_info=False)
    assert set(info["named_endpoints"]) == {"/curate"}
    out = client.predict(MESSY, 0.7, 0.9, 1024, api_name="/curate")
    assert out == json.loads(json.dumps(messy.as_json()))
    with pytest.raises(Exception, match="threshold"):
        client.predict(MESSY, "nan", 0.9, 1024, api_name="/curate")  # JSON has no NaN; a client sends it so
    with pytest.raises(Exception, match="empty"):
        client.predict("", 0.7, 0.9, 1024, api_name="/curate")
    assert client.predict('{"prompt": "a?", "completion": "b."}', 0.7, 0.9, 1024, api_name="/curate")["kept"] == [0]


@pytest.mark.browser
def test_the_tab_walks_load_dedup_export(browser, lesson_app):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 1400, "height": 1000}, accept_downloads=True)
    watch = PageWatch(context.new_page(), lesson_app)
    pg = watch.open(tab.TITLE)
    pg.get_by_role("button", name="Analyse", exact=True).click()
    pg.get_by_text("with the filters and deduplication switched on").wait_for(timeout=180_000)
    pg.get_by_role("tab", name="Duplicates").click()
    pg.get_by_text("Each cluster: its first row").wait_for(timeout=30_000)
    assert pg.get_by_role("columnheader", name="MinHash").is_visible()
    watch.screenshot("data-lab-duplicates")
    pg.get_by_role("tab", name="Export").click()
    pg.get_by_role("button", name="Export", exact=True).click()
    pg.get_by_text("Exported").wait_for(timeout=60_000)
    assert pg.get_by_text("cleaned.jsonl").first.is_visible()
    watch.screenshot("data-lab-export")
    watch.assert_clean()
    context.close()


@pytest.mark.browser
def test_the_tab_fits_a_phone(browser, lesson_app):
    from conftest import assert_fits_a_phone

    assert_fits_a_phone(browser, lesson_app, tab.TITLE,
                        lambda pg: pg.get_by_role("button", name="Analyse", exact=True).wait_for(), "data-lab-phone")


def test_a_large_upload_stays_on_the_server(tmp_path, monkeypatch):
    small = tmp_path / "small.jsonl"
    small.write_text(MESSY, encoding="utf-8")
    box, kept_text, note = tab.upload_file(str(small))
    assert box == MESSY and kept_text is None and "288 lines" in note
    monkeypatch.setattr(tab, "BOX_CHARS", 1000)
    box, kept_text, note = tab.upload_file(str(small))
    assert kept_text == MESSY and box.splitlines() == MESSY.splitlines()[:tab.PREVIEW_ROWS] and "kept on the server" in note
