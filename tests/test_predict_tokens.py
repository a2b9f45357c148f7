"""Predict, then reveal in the Tokens lesson: "how many tokens, and which tokenizer needs the fewest?". The
count's answer is the length of the tokenizer's own ids, the winner is the tokenizer whose own ids are fewest,
a count is graded 1 − |guess − count| / count and a choice 1 or 0 with the runner-up and the margin, the counts
can be hidden while the learner guesses, the running score adds up per session, and in a browser a learner
hides the counts, guesses, reveals, and reads the verdicts and the score."""

from __future__ import annotations

import types

import gradio as gr
import pytest

from playground.checks import UserInputError
from playground.lessons.tokens import prediction as P
from playground.lessons.tokens import tab
from playground.lessons.tokens.analysis import analyse, compare

SMOL, MINILM, CLIP = "smollm2-135m-instruct", "all-minilm-l6-v2", "clip-vit-b-32"
TEXT = "Antidisestablishmentarianism and Supercalifragilisticexpialidocious"


def _own_ids(tok, key, text):
    if key == CLIP:
        return tok.encode(text)  # open_clip's SimpleTokenizer, without its start and end tokens
    return tok(text, add_special_tokens=False).input_ids


@pytest.fixture(scope="module")
def own_counts(hub):
    """The bare library calls: each tokenizer's own ids for the text."""
    return {key: len(_own_ids(hub.tokenizer(key), key, TEXT)) for key in (SMOL, MINILM, CLIP)}


@pytest.mark.parametrize("key", [SMOL, MINILM, CLIP])
def test_the_count_is_the_tokenizers_own_and_closeness_is_the_share_off(hub, own_counts, key):
    actual = own_counts[key]
    result = analyse(hub, TEXT, key)
    exact = P.grade_count(actual, result)
    assert exact.answer == f"{actual:,} tokens" and exact.closeness == 1.0 and "Exactly right" in exact.detail
    half = P.grade_count(actual + actual // 2, result)
    assert half.closeness == pytest.approx(1 - (actual // 2) / actual)
    assert f"{actual // 2:,} tokens too many" in half.detail
    assert P.grade_count(0, result).closeness == 0.0 and P.grade_count(actual * 5, result).closeness == 0.0


def test_the_winner_has_the_fewest_own_ids_and_the_detail_names_the_runner_up(hub, own_counts):
    comparison = compare(hub, TEXT)
    ranked = sorted(own_counts.items(), key=lambda kv: kv[1])
    (winner, fewest), (runner, second), (last, most) = ranked
    assert fewest < second  # this text has one clear winner
    right = P.grade_fewest(winner, comparison)
    assert right.answer == winner and right.closeness == 1.0
    assert f"the runner-up, {runner}, needs {second:,} ({second - fewest:,} more)" in right.detail
    wrong = P.grade_fewest(last, comparison)
    assert wrong.answer == winner and wrong.closeness == 0.0
    assert f"your pick needs {most:,} ({most - fewest:,} more), place 3 of 3" in wrong.detail


def test_a_tie_for_first_counts_for_either():
    from playground.lessons.tokens.analysis import Comparison, TokenizerCount

    rows = [TokenizerCount(k, "f", n, 1.0, 100, None) for k, n in (("a", 3), ("b", 3), ("c", 5))]
    v = P.grade_fewest("b", Comparison(rows, []))
    assert v.closeness == 1.0 and v.answer == "a = b" and "tied with a" in v.detail


@pytest.mark.parametrize("count, pick", [(None, None), ("", ""), (-1, None), (2.5, None), ("many", None)])
def test_no_guess_or_a_bad_count_is_refused(count, pick):
    with pytest.raises(UserInputError):
        P.check_guesses(count, pick)


def test_an_unknown_tokenizer_is_refused(hub):
    with pytest.raises(UserInputError, match="Unknown tokenizer"):
        P.grade_fewest("gpt-17", compare(hub, TEXT))


def test_hiding_the_counts_hides_every_view_that_gives_them_away(hub):
    result, stats, chips, ids = tab.show_tokens(hub, TEXT, SMOL, False, True)
    assert result is not None and stats == tab.HIDDEN and chips == "" and ids == ""
    assert tab.compare_tokenizers(hub, result, True) == [] and tab.redraw_chips(result, True, True) == ""
    shown = tab.show_tokens(hub, TEXT, SMOL, False)  # the default: nothing hidden
    assert "tokens** for" in shown[1] and shown[2]


def _request(session: str):
    return types.SimpleNamespace(session_hash=session)


def test_the_reveal_shows_the_counts_and_the_score_adds_up_per_session(hub, own_counts):
    reveal = tab.Predict(hub).reveal
    n = own_counts[SMOL]
    result, stats, chips, ids, table, hide, md = reveal(TEXT, SMOL, False, n, MINILM, _request("tokens-a"))
    assert f"**{n:,} tokens**" in stats and chips and ids.count(",") == n - 1  # the counts, shown again
    assert [row[2] for row in table][:3] == [k for k, _ in sorted(own_counts.items(), key=lambda kv: kv[1])]
    assert hide is False
    winner_right = min(own_counts, key=own_counts.get) == MINILM
    assert md.count("You said") == 2 and f"from 2 guesses, {1 + winner_right} spot on" in md
    md2 = reveal(TEXT, SMOL, False, f" {n * 3:,} ", "", _request("tokens-a"))[-1]  # the count alone, as typed
    assert md2.count("You said") == 1 and "from 3 guesses" in md2 and "Not this time" in md2
    assert "from 1 guess, 1 spot on" in reveal(TEXT, SMOL, False, n, None, _request("tokens-b"))[-1]
    with pytest.raises(gr.Error, match="Guess the number of tokens"):
        reveal(TEXT, SMOL, False, None, None, _request("tokens-a"))
    with pytest.raises(gr.Error, match="empty"):
        reveal("   ", SMOL, False, 3, None, _request("tokens-a"))
    assert "from 4 guesses" in reveal(TEXT, SMOL, False, n, None, _request("tokens-a"))[-1]


# --- in a browser: a one-tab app --------------------------------------------------------------------


@pytest.fixture(scope="module")
def tokens_url(hub):
    from conftest import launch_lesson

    from playground.lessons import tokens

    yield from launch_lesson(hub, tokens)


@pytest.mark.browser
def test_a_learner_hides_the_counts_guesses_and_reveals(browser, tokens_url):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    try:
        watch = PageWatch(context.new_page(), tokens_url)
        pg = watch.open("Tokens")
        box = pg.locator(".predict-box")
        box.get_by_label(tab.HIDE_LABEL).check()
        pg.get_by_text("The counts are hidden while you guess").wait_for(timeout=30_000)
        pg.get_by_role("button", name="Long capitalised word").click()
        pg.wait_for_timeout(1500)  # the example's text arrives and is cut, still hidden
        assert pg.get_by_text("The counts are hidden while you guess").is_visible()
        assert pg.get_by_text("tokens for 67 characters").count() == 0  # no count, and no chips to count
        assert pg.locator(".tc-chips", has_text="Antidis").count() == 0
        watch.screenshot("predict-tokens-hidden")
        box.get_by_label("Tokens in the chosen tokenizer").fill("12")
        box.get_by_label("Fewest tokens of all the tokenizers").click()
        pg.get_by_role("option", name=MINILM).click()
        box.get_by_role("button", name="Reveal the answer").click()
        pg.get_by_text("Your score this session").wait_for(timeout=60_000)
        pg.get_by_text("tokens for 67 characters").wait_for(timeout=30_000)  # the counts are back
        assert box.get_by_text("You said").count() == 2
        assert not box.get_by_label(tab.HIDE_LABEL).is_checked()
        assert pg.get_by_text("from 2 guesses").count() == 1
        watch.screenshot("predict-tokens-revealed")
        box.get_by_role("button", name="Reveal the answer").click()
        pg.get_by_text("from 4 guesses").wait_for(timeout=60_000)  # the same page: the score goes on
        watch.assert_clean()
    finally:
        context.close()
