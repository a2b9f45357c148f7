"""Tokens tab: ids equal each tokenizer's own encode, offsets slice back to the pieces, the chat
template's special tokens are found, the API has the issue's shape, bad input gets a sentence,
and the tab draws chips and counts in a real browser."""

from __future__ import annotations

import pytest

from playground.lessons.tokens import analysis, views
from playground.lessons.tokens import tab as lesson
from playground.lessons.tokens.chat_template import chat_template_view, messages_from
from playground.lessons.tokens.encoding import (
    FAMILY_BYTE_BPE,
    FAMILY_CLIP,
    FAMILY_WORDPIECE,
    align_cleaned,
    encode,
    piece_bytes,
)
from playground.lessons.tokens.lookup import lookup, parse_ids
from playground.lessons.tokens.round_trip import round_trip, strip_accents
from playground.checks import UserInputError
from playground.viz.token_chips import Chip, plain_label, render_chips

SMOL, MINILM, CLIP = "smollm2-135m-instruct", "all-minilm-l6-v2", "clip-vit-b-32"

TEXTS = [
    "Hello world",
    " hello",
    "hello",
    "Antidisestablishmentarianism",
    "In 2024 there were 8,118,835,999 people; 3.14159 × 2 = 6.28318",
    'def greet(name):\n    if name:\n\treturn f"Hello, {name}!"\n\n\n    return None  # done\r\n',
    "I love pizza 🍕! Family: 👨‍👩‍👧‍👦 Flag: 🇯🇵 Thumbs: 👍🏽",
    "语言模型把文字切成词元，然后预测下一个词元。",
    "النماذج اللغوية تقسم النص إلى رموز صغيرة.",
    "भाषा मॉडल पाठ को छोटे टुकड़ों में काटते हैं।",
    "Café, naïve, Zürich, résumé: CAFÉ NAÏVE! Ⅻ ﬁsh",
    "  leading and trailing spaces   ",
    "don’t “quote” a&amp;b ＡＢＣ cafe\u0301 ΟΔΟΣ İstanbul",
    "<|im_start|>user\nhi<|im_end|>",
]


@pytest.fixture(scope="module")
def toks(hub):
    return {key: hub.tokenizer(key) for key in (SMOL, MINILM, CLIP)}


def _own_ids(tok, key, text):
    if key == CLIP:
        return tok.encode(text)
    return tok(text, add_special_tokens=False).input_ids


# --- parity with each tokenizer's own encode --------------------------------------------------------


@pytest.mark.parametrize("key", [SMOL, MINILM, CLIP])
def test_ids_equal_the_tokenizers_own_encode(toks, key):
    tok = toks[key]
    for text in TEXTS:
        result = encode(tok, key, text)
        assert result.ids == _own_ids(tok, key, text), text
        assert len(result.tokens) == len(result.offsets) == len(result.special) == len(result.ids)


def test_families_are_recognised(toks):
    assert encode(toks[SMOL], SMOL, "x").family == FAMILY_BYTE_BPE
    assert encode(toks[MINILM], MINILM, "x").family == FAMILY_WORDPIECE
    assert encode(toks[CLIP], CLIP, "x").family == FAMILY_CLIP


def test_shared_tokenizer_is_not_changed(toks):
    """MiniLM's tokenizer file pads to 128; we must neither pad nor switch that off for others."""
    tok = toks[MINILM]
    before = tok.backend_tokenizer.padding
    assert len(encode(tok, MINILM, "hi").ids) == 1
    assert tok.backend_tokenizer.padding == before


# --- offsets slice back to the pieces ---------------------------------------------------------------


def test_byte_level_offsets_slice_back(toks):
    tok = toks[SMOL]
    for text in TEXTS:
        r = encode(tok, SMOL, text)
        pieces = [piece_bytes(t, r.family) for t in r.tokens]
        assert b"".join(pieces) == text.encode("utf-8"), text  # every byte, once, in order
        for raw, (s, e), special in zip(pieces, r.offsets, r.special):
            assert 0 <= s < e <= len(text)
            try:
                whole = raw.decode("utf-8")
            except UnicodeDecodeError:  # part of a character: the span is the whole character(s)
                assert raw in text[s:e].encode("utf-8")
            else:
                assert text[s:e] == whole
        starts = [s for s, _ in r.offsets]
        assert starts == sorted(starts)


def test_split_character_spans_cover_the_whole_character(toks):
    r = encode(toks[SMOL], SMOL, "🍕")
    assert len(r.ids) > 1  # a 4-byte emoji is several byte pieces here
    assert all(o == (0, 1) for o in r.offsets)


def test_wordpiece_offsets_slice_back(toks):
    tok = toks[MINILM]
    for text in TEXTS:
        r = encode(tok, MINILM, text)
        for token, (s, e), special in zip(r.tokens, r.offsets, r.special):
            if token == "[UNK]":
                assert text[s:e].strip()
                continue
            if special:  # e.g. '[UNK]' typed literally would be special; none here
                continue
            piece = token[2:] if token.startswith("##") else token
            assert strip_accents(text[s:e].lower()) == piece, (text, token, text[s:e])


def test_wordpiece_continuations_start_inside_a_word(toks):
    text = "Antidisestablishmentarianism"
    r = encode(toks[MINILM], MINILM, text)
    assert r.tokens[0] == "anti" and all(t.startswith("##") for t in r.tokens[1:])
    assert r.offsets[0][0] == 0 and r.offsets[-1][1] == len(text)
    assert all(a[1] == b[0] for a, b in zip(r.offsets, r.offsets[1:]))  # adjacent, no gaps


def test_clip_offsets_point_into_the_original_input(toks):
    tok = toks[CLIP]
    for text in TEXTS:
        r = encode(tok, CLIP, text)
        for token, (s, e) in zip(r.tokens, r.offsets):
            raw = piece_bytes(token, r.family)
            assert 0 <= s <= e <= len(text)
            # What the span becomes after CLIP's own cleaning is the piece. (Lower-casing a whole
            # text writes a word-final Σ as ς, the span alone as σ: allow both.)
            cleaned = {tok.clean_fn(text[s:e]), tok.clean_fn(text[s:e]).replace("σ", "ς")}
            try:
                whole = raw.decode("utf-8")
            except UnicodeDecodeError:
                assert any(raw in c.encode("utf-8") for c in cleaned), (text, token, text[s:e])
            else:  # (one character can clean to several, 'İ' -> 'i̇', cut into separate pieces)
                ok = whole in cleaned or (e - s == 1 and any(whole in c for c in cleaned))
                assert ok, (text, token, text[s:e])


def test_clip_alignment_where_ftfy_rewrites():
    original = "  A&amp;B  don’t\n\tＡＢＣ  "
    cleaned = "a&b don't abc"
    spans = align_cleaned(original, cleaned)
    assert len(spans) == len(cleaned)
    got = [original[s:e] for s, e in spans]
    assert got[0] == "A" and got[1] == "&" and got[2] == "B"
    assert got[3] == "  "  # one space stands for the run it replaced
    assert got[cleaned.index("'")] == "’"
    assert got[-3:] == ["Ａ", "Ｂ", "Ｃ"]


# --- chat template ----------------------------------------------------------------------------------


def test_chat_template_special_tokens_and_cost(toks):
    tok = toks[SMOL]
    messages = messages_from(*lesson.CHAT_DEFAULTS)
    view = chat_template_view(tok, SMOL, messages)
    assert view.raw == tok.apply_chat_template(messages, tokenize=False)
    own = tok.apply_chat_template(messages, tokenize=True)
    own_ids = own["input_ids"] if hasattr(own, "keys") else own
    assert view.result.ids == list(own_ids)
    flagged = [t for t, s in zip(view.result.tokens, view.result.special) if s]
    assert flagged == ["<|im_start|>", "<|im_end|>"] * 3
    assert view.raw.count("<|im_start|>") == 3 and view.n_special == 6
    content = sum(len(tok(m["content"], add_special_tokens=False).input_ids) for m in messages)
    assert view.n_content == content
    assert view.n_added == view.n_template - content > view.n_special


# --- what is lost, lookup, comparison ---------------------------------------------------------------


def test_round_trip_byte_level_is_lossless_wordpiece_is_not(toks):
    text = "Café CAFÉ café 👍 don't"
    smol = encode(toks[SMOL], SMOL, text)
    assert round_trip(toks[SMOL], smol, None).lossless
    mini = encode(toks[MINILM], MINILM, text)
    rt = round_trip(toks[MINILM], mini, toks[MINILM].unk_token_id)
    assert not rt.lossless
    assert rt.changes["unknown"] == 1 and ("👍", "[UNK]") in rt.examples["unknown"]
    assert rt.changes["lower-cased and accents dropped"] == 2 and rt.changes["accents dropped"] == 1
    assert rt.changes["lower-cased"] == 0


def test_lookup_and_parse_ids(toks):
    tok = toks[SMOL]
    ids = encode(tok, SMOL, " hello🍕").ids
    found = lookup(tok, SMOL, ids)
    rows = views.lookup_rows(found)
    assert found.decoded == " hello🍕"
    assert rows[0][1] == "Ġhello" and rows[0][2] == "␣hello"
    assert parse_ids("1, 2 [3]", 10) == [1, 2, 3]
    for bad in ("", "abc", "-1", "99"):
        with pytest.raises(UserInputError):
            parse_ids(bad, 10)


def test_compare_ranks_by_token_count(hub):
    rows = views.compare_table(analysis.compare(hub, "Family: 👨‍👩‍👧‍👦 and 语言模型"))
    ranked = [r for r in rows if r[0] != "–"]
    assert {r[2] for r in ranked} >= {SMOL, MINILM, CLIP}
    counts = [r[1] for r in ranked]
    assert counts == sorted(counts) and [r[0] for r in ranked] == list(range(1, len(ranked) + 1))


def test_compare_names_each_kind_of_loss_once(hub):
    """WordPiece both lower-cases and strips accents here: each kind is named once in its cell."""
    rows = views.compare_table(analysis.compare(hub, "Café, naïve, Zürich, résumé: CAFÉ NAÏVE! 👍"))
    cell = next(r[4] for r in rows if r[2] == MINILM)
    assert cell == "loses: [UNK], lower-cased, accents dropped, spacing", cell
    assert next(r[4] for r in rows if r[2] == SMOL) == "lossless"


def test_chips_mark_whitespace_bytes_and_escape_html():
    html = render_chips(
        [
            Chip(b" hello", 1),
            Chip(b"\n", 2),
            Chip(b" \xf0\x9f", 3),
            Chip("<script>x</script>", 4, special=True),
            Chip("ing", 5, prefix="##"),
        ],
        show_ids=True,
    )
    assert "␣" in html and "↵" in html and "F0 9F" in html and "<br>" in html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert "tc-special" in html and ">5<" in html
    assert plain_label(b" \xf0\x9f") == "␣<F0 9F>"
    note = render_chips([Chip("a", 1)] * 3, max_chips=2, total=10)
    assert "first 2 of 10 tokens" in note


# --- bad input --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, key, message",
    [
        ("", SMOL, "empty"),
        ("   ", SMOL, "empty"),
        ("hi", "no-such-model", "Unknown tokenizer"),
        ("a\x00b", SMOL, "control character"),
        ("a\ud83db", SMOL, "surrogate"),
    ],
)
def test_bad_input_gets_a_sentence(hub, text, key, message):
    with pytest.raises(UserInputError, match=message):
        analysis.tokenize(hub, text, key)


def test_long_text_is_cut_with_a_notice(hub):
    result, notice = analysis.tokenize(hub, "word " * 5_000, SMOL)
    assert len(result.text) == analysis.MAX_CHARS and "only the first 20,000" in notice


# --- through the launched app -----------------------------------------------------------------------


@pytest.mark.app
def test_tokenize_api_shape(client, toks):
    text = "Hello world 🍕 語"
    out = client.predict(text, SMOL, api_name="/tokenize")
    assert set(out) == {"tokenizer", "ids", "tokens", "offsets", "n_chars", "n_tokens"}
    assert out["tokenizer"] == SMOL and out["n_chars"] == len(text)
    assert out["ids"] == toks[SMOL](text, add_special_tokens=False).input_ids
    assert out["n_tokens"] == len(out["ids"]) == len(out["tokens"]) == len(out["offsets"])
    assert all(isinstance(o, list) and len(o) == 2 for o in out["offsets"])
    clip = client.predict(text, CLIP, api_name="/tokenize")
    assert clip["ids"] == toks[CLIP].encode(text)


def test_view_handlers(hub):
    """The tab's private events, called as the app calls them (the hub bound first)."""
    result, stats, chips, ids = lesson.show_tokens(hub, "x " * 12_000, SMOL, False)
    assert "only the first 20,000" in stats and "tc-chip" in chips
    assert "Showing chips for the first 2,000" in chips and ids.count(",") == result.tokenized.n_tokens - 1
    assert 'class="tc-id"' in lesson.redraw_chips(result, True) and 'class="tc-id"' not in chips
    table = lesson.compare_tokenizers(hub, lesson.show_tokens(hub, "hello world", SMOL, False)[0])
    assert views.COMPARE_HEADERS[:2] == ["#", "tokens"] and len(table) >= 3
    summary, diff = lesson.what_is_lost(lesson.show_tokens(hub, "Café 👍", MINILM, False)[0])
    assert "[UNK]" in summary and "rt-lost" in diff
    chat_summary, raw, chat_chips = lesson.chat_template(hub, SMOL, "Be brief.", "Hi", "Hello!")
    assert "<|im_start|>" in raw and "tc-special" in chat_chips and "template adds" in chat_summary
    rows, _ = lesson.id_to_piece(hub, "33662, 1", SMOL)
    assert rows[0][1] == "Ġhello" and rows[1][3] == "yes"


@pytest.mark.parametrize("text", ["", "   \n"])
def test_an_empty_box_gets_the_empty_view(hub, text):
    result, stats, chips, ids = lesson.show_tokens(hub, text, SMOL, True)
    assert result is None and stats == views.EMPTY and chips == ids == ""
    assert lesson.what_is_lost(None) == ("", "") and lesson.compare_tokenizers(hub, None) == []
    assert lesson.redraw_chips(None, True) == ""


@pytest.mark.app
def test_app_errors(client):
    from gradio_client.exceptions import AppError

    for args, message in [(("", SMOL), "empty"), (("hi", "nope"), "Unknown tokenizer"), (("a\x07", SMOL), "control")]:
        with pytest.raises(AppError, match=message):
            client.predict(*args, api_name="/tokenize")
    assert client.predict("still serving", SMOL, api_name="/tokenize")["n_tokens"] > 0


@pytest.mark.browser
def test_tab_draws_chips_and_counts(page):
    pg = page.open("Tokens")
    box = pg.get_by_label("Text", exact=True)
    box.fill("Hello world, hello 🍕")
    pg.get_by_role("button", name="Tokenize").click()
    chips = pg.locator("#tokens-chips .tc-chip")
    chips.first.wait_for(timeout=60_000)
    pg.get_by_text("tokens for 20 characters").wait_for(timeout=30_000)
    assert chips.count() > 4
    assert chips.first.get_attribute("title").startswith("id ")
    block = _compare_block(pg)
    block.locator('[role=gridcell][data-col="2"]', has_text=SMOL).wait_for(timeout=60_000)
    assert block.evaluate(_BROKEN_HEADERS) == []
    page.screenshot("tokens-typed")
    pg.get_by_role("button", name="Emoji").click()
    pg.get_by_text("Family").first.wait_for()
    pg.wait_for_function("document.querySelectorAll('#tokens-chips .tc-byte').length > 0", timeout=30_000)
    pg.get_by_role("button", name="Render the conversation").click()
    pg.locator(".tc-special").first.wait_for(timeout=60_000)
    page.screenshot("tokens-emoji-chat")
    page.assert_clean()


@pytest.mark.browser
def test_clearing_the_text_shows_the_empty_view_without_an_error(page):
    pg = page.open("Tokens")
    box = pg.get_by_label("Text", exact=True)
    box.fill("Hello world")
    pg.locator("#tokens-chips .tc-chip").first.wait_for(timeout=60_000)
    box.fill("")
    pg.wait_for_timeout(1500)  # the change event has run (a toast would be up by now)
    toasts = pg.locator(".toast-body")
    assert toasts.count() == 0, f"clearing the box raised: {toasts.all_text_contents()}"
    pg.get_by_text(views.EMPTY).wait_for(timeout=30_000)
    assert pg.locator("#tokens-chips .tc-chip").count() == 0
    page.assert_clean()


# --- on a phone ------------------------------------------------------------------------------------

COMPARE_LABEL = "Fewest tokens first"

# Header cells whose text takes more than one line (a word broken mid-way, "tok ens").
_BROKEN_HEADERS = """block => [...block.querySelectorAll('th[role=columnheader] span.header')]
    .filter(span => span.getBoundingClientRect().height > 0)
    .filter(span => { const r = document.createRange(); r.selectNodeContents(span);
                      return new Set([...r.getClientRects()].map(x => Math.round(x.top))).size > 1; })
    .map(span => span.textContent.trim())"""

# The token-count cells and whether each lies inside the window and the table's visible box.
_COUNT_CELLS = """block => { const box = block.getBoundingClientRect();
    return [...block.querySelectorAll('[role=gridcell][data-col="1"]')].map(cell => {
        const r = cell.getBoundingClientRect();
        return [cell.textContent.trim(), r.left >= Math.max(0, box.left) && r.right <= Math.min(innerWidth, box.right)]; }); }"""


def _compare_block(pg):
    return pg.locator(".block", has=pg.get_by_text(COMPARE_LABEL)).last


@pytest.fixture
def phone(browser, app_url):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 390, "height": 844}, has_touch=True)
    yield PageWatch(context.new_page(), app_url)
    context.close()


@pytest.mark.browser
def test_phone_shows_the_counts_whole_headers_and_ids_on_tap(phone):
    pg = phone.open("Tokens")
    pg.get_by_role("button", name="Accents (WordPiece)").tap()
    pg.get_by_text("tokens for 40 characters").wait_for(timeout=60_000)
    block = _compare_block(pg)
    block.locator('[role=gridcell][data-col="2"]', has_text=SMOL).wait_for(timeout=60_000)
    block.scroll_into_view_if_needed()
    assert pg.evaluate("document.documentElement.scrollWidth") <= pg.evaluate("window.innerWidth")
    counts = block.evaluate(_COUNT_CELLS)
    assert len(counts) >= 3 and all(text.isdigit() and inside for text, inside in counts), counts
    assert block.evaluate(_BROKEN_HEADERS) == []
    rt = block.locator('[role=gridcell][data-col="4"]').all_text_contents()
    assert all(cell.count("accents dropped") <= 1 for cell in rt), rt
    phone.screenshot("tokens-phone-compare")
    # chip ids without hovering: the counts name the checkbox, and a tap prints every id
    assert pg.get_by_text(views.SHOW_IDS).count() >= 2
    pg.get_by_label(views.SHOW_IDS).tap()
    chips = pg.locator("#tokens-chips .tc-chip")
    pg.wait_for_function("document.querySelectorAll('#tokens-chips .tc-id').length > 0", timeout=30_000)
    assert pg.locator("#tokens-chips .tc-id").count() == chips.count()
    phone.screenshot("tokens-phone-ids")
    phone.assert_clean()
