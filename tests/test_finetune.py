"""Fine-tuning lab: the loss mask against transformers' assistant mask, the per-token loss against
the model's own, LoRA's parameter counts and its no-op start, adapters that reload exactly, a real
(tiny, seeded) training run in a worker process, the queue and cancel, a diverging run, the
sessions' adapters, QLoRA on a 4-bit NF4 base (bitsandbytes runs it on the CPU too), the adapter
size cap, the `finetune` endpoint through gradio_client, and the tab in a browser.

The app-level tests launch a small gr.Blocks of their own with only this tab inside, so they
start quickly; tests/test_structure.py checks the lesson is in the app's registry."""

from __future__ import annotations

import hashlib
import json
import math
import time
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from playground.checks import UserInputError
from playground.lessons.finetune import lab, views
from playground.training import loss_mask, rows
from playground.training.adapters import AdapterStore
from playground.training.base import FP32, NF4, base_source, load_base
from playground.training.jobs import CANCELLED, QUEUED, RUNNING, JobRunner

SEVEN = lab.PROJECTIONS


def tutor_subset(n_train: int, n_val: int, n_test: int) -> str:
    lines = rows.builtin_jsonl("tutor").splitlines()
    by_split = {s: [l for l in lines if json.loads(l)["split"] == s] for s in rows.SPLITS}
    return "\n".join(by_split["train"][:n_train] + by_split["validation"][:n_val] + by_split["test"][:n_test]) + "\n"


TINY = tutor_subset(4, 2, 1)
TINY_SETTINGS = lab.Settings(rank=4, alpha=8, learning_rate=2e-3, epochs=2, batch_size=2, max_length=128, seed=0)
TINY_LIMITS = {"max_new_tokens": 12, "evaluations": 2}


def weights_hash(model) -> str:
    h = hashlib.sha256()
    for name, tensor in sorted(model.state_dict().items()):
        h.update(name.encode())
        h.update(tensor.detach().cpu().numpy().tobytes())
    return h.hexdigest()


@pytest.fixture(scope="module")
def tok(hub):
    return hub.tokenizer(lab.MODEL)


def base_copy(hub):
    model, tokenizer, _ = load_base(base_source(hub, lab.MODEL))
    return model.eval(), tokenizer


# --- rows and settings ---------------------------------------------------------------------------------


def test_rows_are_checked_one_by_one_and_the_message_names_the_row():
    good = '{"messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello"}]}'
    cases = {
        good + "\n{not json}": "Row 2 is not valid JSON",
        good + '\n{"messages": [{"role": "robot", "content": "x"}]}': "Row 2: \"messages\", turn 1: the role 'robot'",
        good + '\n\n{"prompt": "only a prompt"}': "Row 3 has a prompt but no completion",
        good + '\n{"messages": [{"role": "user", "content": "no answer"}]}': "Row 2 has no assistant turn",
        good + '\n{"text": "raw text"}': "Row 2 is raw text but row 1 is a chat example",
        good + '\n{"messages": [], "split": "train"}': "Row 2: \"messages\" must be a non-empty list",
        good + '\n' + good[:-1] + ', "split": "dev"}': "Row 2: \"split\" must be one of",
        "": "The dataset is empty",
        "\n\n  \n": "The dataset is empty",
        good: "needs at least one to train on",
    }
    for text, message in cases.items():
        with pytest.raises(UserInputError, match=message.replace("(", r"\(").replace("[", r"\[")):
            rows.split_rows(rows.parse_jsonl(text))


def test_splits_follow_the_rows_or_fill_in_the_last_tenth():
    s = rows.split_rows(rows.parse_jsonl(rows.builtin_jsonl("tutor")))
    assert (len(s.train), len(s.validation), len(s.test)) == (32, 8, 4) and not s.notes
    plain = "\n".join(json.dumps({"prompt": f"q{i}", "completion": f"a{i}"}) for i in range(20))
    s = rows.split_rows(rows.parse_jsonl(plain))
    assert [r.question() for r in s.test] == ["q18", "q19"] and len(s.validation) == 2 and len(s.train) == 16
    assert len(s.notes) == 2 and s.test[0].prompt() == [{"role": "user", "content": "q18"}]
    kinds = {key: rows.split_rows(rows.parse_jsonl(rows.builtin_jsonl(key))).kind for key in rows.BUILTINS}
    assert kinds == {"tutor": rows.CHAT, "json": rows.CHAT, "bullets": rows.CHAT, "beekeeping": rows.RAW}
    assert len(rows.general_text()) == 8


@pytest.mark.parametrize("bad, message", [
    ({"learning_rate": float("nan")}, "Learning rate must be a finite number"),
    ({"learning_rate": -1e-3}, "Learning rate must be in"),
    ({"learning_rate": 0}, "Learning rate must be in"),
    ({"rank": 0}, "LoRA rank must be between 1 and 64"),
    ({"rank": 65}, "LoRA rank must be between 1 and 64"),
    ({"epochs": 11}, "Epochs must be between 1 and 10"),
    ({"targets": ["embed_tokens"]}, "Pick at least one projection"),
])
def test_bad_settings_get_a_clear_message(bad, message):
    with pytest.raises(UserInputError, match=message):
        lab.check_settings(**bad)


def test_too_many_steps_are_refused_before_the_run_waits(tok):
    many = "\n".join(json.dumps({"prompt": f"question {i}", "completion": f"answer {i}"}) for i in range(1000))
    with pytest.raises(UserInputError, match="steps; the lab runs up to 400"):
        lab.prepare(tok, many, lab.check_settings(epochs=10, batch_size=1))


# --- the loss mask and the loss ---------------------------------------------------------------------

# SmolLM2's own template with `{% generation %}` around each assistant answer and its <|im_end|>:
# what transformers needs to compute its assistant mask (the reference here).
MARKED = ("{{'<|im_start|>' + message['role'] + '\n'}}{% if message['role'] == 'assistant' %}{% generation %}"
          "{{ message['content'] + '<|im_end|>' }}{% endgeneration %}{% else %}{{ message['content'] + '<|im_end|>' }}"
          "{% endif %}{{ '\n' }}")
PLAIN = "{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}"

CONVERSATIONS = [
    '{"messages": [{"role": "user", "content": "I goed home."}, {"role": "assistant", "content": "Say: I went home."}]}',
    '{"messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": "Hi!"}, '
    '{"role": "assistant", "content": "Hello."}, {"role": "user", "content": "Two lines?"}, '
    '{"role": "assistant", "content": "One\\nTwo"}]}',
    '{"prompt": "Café, naïve, 日本?", "completion": "Accents 🙂 and kanji."}',
]


def test_trl_cannot_find_the_answers_in_smollm2s_template(tok):
    """Why the lab computes the mask itself: trl's assistant_only_loss needs {% generation %}
    markers, SmolLM2's template has none, and trl has no training copy of it."""
    trl = pytest.importorskip("trl.chat_template_utils")  # the lab itself does not need trl
    get_training_chat_template, has_generation_markers = trl.get_training_chat_template, trl.has_generation_markers

    assert not has_generation_markers(tok.chat_template)
    with pytest.raises(ValueError, match="not training-compatible"):
        get_training_chat_template(tok)


@pytest.mark.parametrize("line", CONVERSATIONS)
def test_loss_mask_equals_the_assistant_spans_of_the_template(tok, line):
    assert PLAIN in tok.chat_template
    marked = tok.chat_template.replace(PLAIN, MARKED)
    row = rows.parse_jsonl(line)[0]
    ours = loss_mask.render(tok, row, assistant_only=True)
    ref = tok.apply_chat_template(row.chat(), chat_template=marked, tokenize=True, return_dict=True,
                                  return_assistant_tokens_mask=True)
    assert tok.apply_chat_template(row.chat(), tokenize=False) == ours.text  # the markers change no character
    assert ref["input_ids"] == ours.ids == tok.apply_chat_template(row.chat(), tokenize=True, return_dict=True)["input_ids"]
    assert ref["assistant_masks"] == [int(c) for c in ours.carries_loss]
    answers = "".join(tok.decode([i]) for i, c in zip(ours.ids, ours.carries_loss) if c)
    assert answers == "".join(c + "<|im_end|>" for r, c in row.messages if r == "assistant")
    whole = loss_mask.render(tok, row, assistant_only=False)
    assert whole.ids == ours.ids and whole.n_loss == len(ours.ids) - 1  # every token but the first


@pytest.mark.parametrize("assistant_only", [True, False])
def test_per_token_loss_equals_the_models_own_loss(lm, tok, assistant_only):
    row = rows.parse_jsonl(CONVERSATIONS[1])[0]
    r = loss_mask.render(tok, row, assistant_only=assistant_only)
    losses = loss_mask.token_losses(lm.model, r.ids, r.labels)
    with torch.no_grad():
        own = lm.model(input_ids=torch.tensor([r.ids]), labels=torch.tensor([r.labels])).loss
    assert int((~losses.isnan()).sum()) == r.n_loss
    assert abs(loss_mask.mean_loss(losses) - float(own)) < 1e-5


def test_max_length_cuts_and_a_row_left_without_answer_is_named(tok):
    s = lab.check_settings(max_length=16)
    with pytest.raises(UserInputError, match="Row 1: cut to 16 tokens, no token that carries loss"):
        lab.prepare(tok, rows.builtin_jsonl("tutor"), s)
    r = loss_mask.render(tok, rows.parse_jsonl(CONVERSATIONS[1])[0], max_length=30)
    assert len(r.ids) == 30 and r.cut > 0


# --- LoRA ------------------------------------------------------------------------------------------------


def test_lora_counts_and_a_fresh_adapter_changes_nothing(hub, tok):
    from peft import LoraConfig, get_peft_model

    model, _ = base_copy(hub)
    ids = torch.tensor([tok("The best thing about rainy days is")["input_ids"]])
    assert sum(p.numel() for p in model.parameters()) == 134_515_008  # tied embeddings counted once
    with torch.no_grad():
        before = model(ids).logits
    peft_model = get_peft_model(model, LoraConfig(r=8, lora_alpha=16, target_modules=list(SEVEN), task_type="CAUSAL_LM"))
    assert peft_model.get_nb_trainable_parameters()[0] == 2_442_240
    with torch.no_grad():
        after = peft_model(input_ids=ids).logits
    assert torch.allclose(before, after, atol=1e-6, rtol=0)
    qv, _ = base_copy(hub)
    qv = get_peft_model(qv, LoraConfig(r=8, target_modules=["q_proj", "v_proj"], task_type="CAUSAL_LM"))
    assert qv.get_nb_trainable_parameters()[0] == 460_800


def test_the_adapter_size_is_known_before_the_run_and_capped(hub):
    from peft import LoraConfig, get_peft_model

    from playground.training.adapters import lora_parameters

    config = hub.get(lab.MODEL).model.config
    for rank, targets in ((8, SEVEN), (8, ("q_proj", "v_proj")), (3, ("o_proj", "down_proj", "k_proj"))):
        model, _ = base_copy(hub)
        peft_model = get_peft_model(model, LoraConfig(r=rank, target_modules=list(targets), task_type="CAUSAL_LM"))
        assert lora_parameters(config, rank, targets) == peft_model.get_nb_trainable_parameters()[0]
    source = base_source(hub, lab.MODEL)
    assert lab.check_fits(hub, source, replace(TINY_SETTINGS, rank=32)) == 9_768_960  # 39 MB: under the cap
    with pytest.raises(UserInputError, match=r"Rank 64 on 7 projection\(s\) makes an adapter of 19,537,920 "):
        lab.check_fits(hub, source, replace(TINY_SETTINGS, rank=64))
    assert lab.check_fits(hub, source, replace(TINY_SETTINGS, rank=64, targets=("q_proj", "v_proj"))) == 3_686_400
    with pytest.raises(UserInputError, match="Base weights must be one of 32-bit, 4-bit NF4"):
        lab.check_settings(base_weights="8-bit")


def test_a_saved_adapter_reloads_with_the_same_logits(hub, tok, tmp_path):
    from peft import LoraConfig, PeftModel, get_peft_model

    torch.manual_seed(0)
    model, _ = base_copy(hub)
    # init_lora_weights=False: B random too, so the adapter really changes the model
    peft_model = get_peft_model(model, LoraConfig(r=4, target_modules=list(SEVEN), init_lora_weights=False,
                                                  task_type="CAUSAL_LM")).eval()
    ids = torch.tensor([tok("A cat sat on the mat.")["input_ids"]])
    with torch.no_grad():
        tuned = peft_model(input_ids=ids).logits
    peft_model.save_pretrained(tmp_path / "adapter")
    assert (tmp_path / "adapter" / "adapter_model.safetensors").is_file()
    fresh, _ = base_copy(hub)
    with torch.no_grad():
        plain = fresh(ids).logits
    loaded = PeftModel.from_pretrained(fresh, tmp_path / "adapter").eval()
    with torch.no_grad():
        again = loaded(input_ids=ids).logits
    assert torch.allclose(tuned, again, atol=1e-6, rtol=0)
    assert (tuned - plain).abs().max() > 1e-2


# --- a real run in a worker process ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def tiny_run(hub, lm, tmp_path_factory):
    """One tiny seeded run through the runner, as the tab starts it."""
    hash_before = weights_hash(lm.model)
    out = tmp_path_factory.mktemp("tiny-run")
    runner = JobRunner()
    job, prepared = lab.start(hub, runner, "tester", TINY, TINY_SETTINGS, out, **TINY_LIMITS)
    seen = [p.place for p in lab.follow(job, runner)]
    return {"result": job.result, "out": out, "hash_before": hash_before, "job": job, "prepared": prepared, "seen": seen}


def test_a_run_learns_and_reports_the_trainers_own_losses(tiny_run):
    r = tiny_run["result"]
    assert set(lab.FinetuneResult(r).as_json()) == {"trainable_params", "total_params", "train", "eval", "best_step",
                                                   "before", "after", "seconds"}
    assert r["total_params"] == 134_515_008 and r["trainable_params"] == 1_221_120  # rank 4 on all seven
    assert [p["step"] for p in r["train"]] == [1, 2, 3, 4]
    assert r["eval"][0]["step"] == 0 and r["eval"][-1]["step"] == 4
    assert r["eval"][-1]["loss"] < r["eval"][0]["loss"]  # validation: tuned below the base model
    assert r["best_step"] == views.best_step(r["eval"])
    assert all(math.isfinite(p["loss"]) for p in r["train"] + r["eval"])
    assert [b["prompt"] for b in r["before"]] == [b["prompt"] for b in r["after"]] == ["How many money do you have?"]
    assert r["load_seconds"] < 5  # the worker's own copy, from the converted cache
    assert 1_221_120 * 4 < r["adapter_bytes"] < 1_221_120 * 4 + 100_000  # float32 weights + the safetensors header
    assert (tiny_run["out"] / "adapter" / "adapter_model.safetensors").stat().st_size == r["adapter_bytes"]
    assert r["base_weights"] == FP32 and r["device"] == "cpu" and 530 < r["base_mb"] < 545


def test_qlora_trains_on_a_4bit_nf4_base_in_a_third_of_the_memory(hub, tiny_run, tmp_path):
    """The QLoRA path (the GPU's default) on this CPU: bitsandbytes stores the frozen base in NF4, peft's
    k-bit preparation, the same adapter; it learns, and its adapter loads onto the 32-bit base with peft."""
    from peft import PeftModel

    runner = JobRunner()
    s = replace(TINY_SETTINGS, base_weights=NF4)
    job, _ = lab.start(hub, runner, "tester", TINY, s, tmp_path, **TINY_LIMITS)
    *_, last = lab.follow(job, runner)
    r, plain = last.result, tiny_run["result"]
    assert r["base_weights"] == NF4 and r["base_mb"] < plain["base_mb"] / 2.5  # 4-bit linears, 16-bit embeddings
    assert r["total_params"] == plain["total_params"] and r["trainable_params"] == plain["trainable_params"]
    assert r["eval"][0]["loss"] == pytest.approx(plain["eval"][0]["loss"], rel=0.05)  # NF4 is close to the base
    assert r["eval"][-1]["loss"] < r["eval"][0]["loss"]
    assert len(r["after"]) == 1 and r["after"][0]["text"]
    base, _ = base_copy(hub)
    PeftModel.from_pretrained(base, tmp_path / "adapter")  # peft's own format, whichever base trained it


def test_a_run_leaves_the_hubs_model_untouched(tiny_run, lm):
    assert weights_hash(lm.model) == tiny_run["hash_before"]
    assert all(not p.requires_grad or p.grad is None for p in lm.model.parameters())


def test_the_runs_adapter_loads_with_peft_and_answers_as_the_worker_did(tiny_run, hub, tok):
    """Greedy answers from the downloaded adapter through PeftModel.from_pretrained equal the worker's."""
    from peft import PeftModel

    from playground.training.generate import answer

    prompts, n = tiny_run["prepared"].prompts, TINY_LIMITS["max_new_tokens"]
    base, _ = base_copy(hub)
    assert answer(base, tok, prompts, n) == [b["text"] for b in tiny_run["result"]["before"]]
    loaded = PeftModel.from_pretrained(base, tiny_run["out"] / "adapter").eval()
    assert answer(loaded, tok, prompts, n) == [a["text"] for a in tiny_run["result"]["after"]]


def test_the_runner_queues_places_refuses_a_second_run_and_cancels_fast(hub, tmp_path):
    runner = JobRunner()
    long = replace(TINY_SETTINGS, epochs=10)
    a, _ = lab.start(hub, runner, "a", TINY, long, tmp_path / "a")
    b, _ = lab.start(hub, runner, "b", TINY, long, tmp_path / "b")
    with pytest.raises(UserInputError, match="already have a training run going"):
        lab.start(hub, runner, "a", TINY, long, tmp_path / "a2")
    deadline = time.monotonic() + 120
    while a.status == QUEUED and time.monotonic() < deadline:
        time.sleep(0.1)
    assert a.status == RUNNING and runner.place(b) == 1
    assert runner.cancel("b") is b and b.status == CANCELLED and runner.place(b) == 0
    while not a.events and time.monotonic() < deadline:  # the worker is up and working
        time.sleep(0.1)
    process = a.process
    began = time.monotonic()
    runner.cancel("a")
    stopped = time.monotonic() - began
    assert not process.is_alive() and stopped < 2.0, f"the worker took {stopped:.2f} s to stop"
    with pytest.raises(UserInputError, match="Cancelled"):
        for _ in lab.follow(a, runner):
            pass
    assert runner.active("a") is None  # a new run may start


def test_a_diverging_run_stops_with_a_clear_message(hub, tmp_path):
    runner = JobRunner()
    wild = replace(TINY_SETTINGS, learning_rate=1e30, epochs=1, batch_size=1)  # past the checks, on purpose
    job, _ = lab.start(hub, runner, "wild", TINY, wild, tmp_path, **TINY_LIMITS)
    with pytest.raises(UserInputError, match=r"Training diverged at step \d+: the (training|validation) loss became NaN"):
        for _ in lab.follow(job, runner):
            pass


def test_one_step_up_close_starts_from_the_models_own_loss_and_lowers_it(hub, lm, tok):
    runner = JobRunner()
    job = lab.start_step(hub, runner, "stepper", TINY, 1, lab.Settings(rank=4, alpha=8, learning_rate=1e-3))
    for _ in lab.follow(job, runner):
        pass
    r = job.result
    row = rows.split_rows(rows.parse_jsonl(TINY)).train[0]
    rendered = loss_mask.render(tok, row)
    own = loss_mask.token_losses(lm.model, rendered.ids, rendered.labels)[1:]  # the hub's model, eager attention
    before = torch.tensor([math.nan if b is None else b for b in r["before"]])
    assert torch.equal(before.isnan(), own.isnan())
    assert torch.allclose(before[~before.isnan()], own[~own.isnan()], atol=1e-4)  # sdpa vs eager kernels
    mean_after = sum(a for a in r["after"] if a is not None) / rendered.n_loss
    assert abs(loss_mask.mean_loss(own) - r["loss_before"]) < 1e-4 and mean_after < r["loss_before"]
    assert len(r["moved"]) == 30 * 7 and all(m["relative"] > 0 for m in r["moved"])
    assert r["optimizer_bytes"] == 2 * r["grad_bytes"] == 2 * 1_221_120 * 4 and r["activation_bytes"] > 0
    position = views.loss_positions(r)[0]
    assert r["tokens"][position] in views.step_top_html(r, position)
    assert "Training" in views.step_cost_md(r) and len(views.moved_figure(r["moved"]).data[0].z) == 7


def test_the_one_step_handler_fills_its_views(hub):
    from playground.lessons.finetune import tab

    *_, last = tab.step_run(hub, TINY, 1, 4, 8, list(SEVEN), 1e-3, 128, True, 0, None)
    cost, tokens_html, top_html, position, figure, result = last
    assert "Inference" in cost and "ft-down" in tokens_html and "after one step" in top_html
    assert position.value == views.loss_positions(result)[0] and figure.data[0].type == "heatmap"


def test_one_step_shows_part_of_a_character_as_its_bytes(tok):
    from playground.lm.text import token_piece

    ids = tok(" 🍵")["input_ids"]
    pieces = [token_piece(tok, i) for i in ids]
    assert "".join(pieces).encode("utf-8", errors="surrogateescape") == " 🍵".encode()
    r = {"tokens": ["I"] + pieces, "top_before": [[(p, 0.5)] for p in pieces], "top_after": [[(p, 0.4)] for p in pieces]}
    shown = views.step_top_html(r, 1)
    assert "tc-byte" in shown and "\ufffd" not in shown and "<b>" in shown  # the true token, in bold, as hex


def test_continued_pretraining_reports_perplexity_on_domain_and_general_text(hub, tmp_path):
    lines = rows.builtin_jsonl("beekeeping").splitlines()
    by_split = {s: [l for l in lines if json.loads(l)["split"] == s] for s in rows.SPLITS}
    raw = "\n".join(by_split["train"][:4] + by_split["validation"][:2] + by_split["test"][:2])
    runner = JobRunner()
    job, prepared = lab.start(hub, runner, "bees", raw, TINY_SETTINGS, tmp_path, **TINY_LIMITS)
    assert prepared.splits.kind == rows.RAW and len(prepared.perplexity["general"]) == len(rows.general_text())
    for _ in lab.follow(job, runner):
        pass
    ppl = job.result["perplexity"]
    assert ppl["domain"]["after"] < ppl["domain"]["before"]
    assert set(ppl) == {"domain", "general"} and all(p["before"] > 1 for p in ppl.values())
    assert job.result["before"][0]["prompt"] == " ".join(json.loads(by_split["test"][0])["text"].split()[:12])
    assert "Perplexity" in views.perplexity_md(ppl)


def test_two_sessions_adapters_stay_apart_and_go_with_their_session(tmp_path):
    store = AdapterStore(tmp_path, per_session=2, max_sessions=2)

    def fake_run(session: str, tag: str) -> Path:
        run = store.reserve(session)
        (run / "adapter").mkdir()
        (run / "adapter" / "adapter_config.json").write_text("{}")
        (run / "adapter" / "adapter_model.safetensors").write_bytes(tag.encode())
        store.keep(session, run)
        return run

    a1, b1, a2 = fake_run("alice", "a1"), fake_run("bob", "b1"), fake_run("alice", "a2")
    assert store.runs("alice") == [a1, a2] and store.runs("bob") == [b1]
    assert "alice" not in str(a1) and a1.parent != b1.parent
    adapter = store.adapter(a2)
    assert adapter.zip_path.is_file() and adapter.nbytes == 2
    a3 = fake_run("alice", "a3")
    assert store.runs("alice") == [a2, a3] and not a1.exists()  # the newest two per session
    store.remove_session("bob")
    assert not b1.exists() and store.runs("bob") == [] and a2.exists()
    fake_run("carol", "c1"), fake_run("dave", "d1")
    assert store.sessions() == ["carol", "dave"] and not a2.exists()  # at most two sessions


def test_views_mark_the_best_step_and_where_validation_turns_up():
    evals = [{"step": 0, "loss": 3.0}, {"step": 5, "loss": 2.0}, {"step": 10, "loss": 1.9}, {"step": 15, "loss": 2.2}]
    assert views.best_step(evals) == 10 and views.turn_up_step(evals) == 15
    assert views.turn_up_step(evals[:3]) is None
    fig = views.loss_figure([{"step": 1, "loss": 3.1}], evals, 15)
    assert any("overfitting" in a.text for a in fig.layout.annotations)
    assert views.params_md(2_442_240, 134_515_008).count("1.82%") == 1


# --- the endpoint and the tab, on a small app of their own -------------------------------------------------


@pytest.fixture(scope="module")
def lab_app(hub):
    from conftest import launch_lesson

    from playground.lessons import finetune

    yield from launch_lesson(hub, finetune)


@pytest.mark.app
def test_finetune_endpoint_json_is_reproducible_and_bad_input_is_named(lab_app):
    from gradio_client import Client

    client = Client(lab_app, verbose=False)
    info = client.view_api(return_format="dict", print_info=False)
    assert set(info["named_endpoints"]) == {"/finetune"}
    with pytest.raises(Exception, match="Row 2 is not valid JSON"):
        client.predict(TINY.splitlines()[0] + "\n{oops", 4, 2e-3, 1, 0, True, api_name="/finetune")
    with pytest.raises(Exception, match="LoRA rank must be between 1 and 64"):
        client.predict(TINY, 0, 2e-3, 1, 0, True, api_name="/finetune")
    first = client.predict(TINY, 4, 2e-3, 1, 7, True, api_name="/finetune")
    second = client.predict(TINY, 4, 2e-3, 1, 7, True, api_name="/finetune")
    assert set(first) == {"trainable_params", "total_params", "train", "eval", "best_step", "before", "after", "seconds"}
    assert first["trainable_params"] == 1_221_120 and first["eval"][0]["step"] == 0
    for key in ("train", "eval", "best_step", "before", "after"):
        assert first[key] == second[key], key  # same inputs, same seed: the same losses and texts


@pytest.mark.browser
def test_the_tab_trains_and_shows_the_curve_and_the_answers(browser, lab_app):
    from conftest import PageWatch

    from playground.lessons.finetune import tab

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    watch = PageWatch(context.new_page(), lab_app)
    pg = watch.open("Fine-tuning")
    pg.get_by_text("What the loss sees").first.wait_for()
    pg.locator(".ft-loss").first.wait_for(timeout=30_000)  # the default set, rendered with its mask
    box = pg.get_by_label("Dataset (JSONL)")
    box.fill(tutor_subset(4, 2, 1))
    pg.get_by_label("Epochs").first.fill("1")
    pg.get_by_label("Epochs").first.press("Enter")
    pg.get_by_role("button", name="Train", exact=True).click()
    pg.get_by_text("Tuned model (after)").wait_for(timeout=60_000)
    pg.get_by_text("Done in").wait_for(timeout=600_000)
    assert pg.locator(".js-plotly-plot").count() >= 1
    assert pg.locator("table.ft-answers tbody tr").count() == 1
    assert pg.get_by_role("button", name="Download the adapter (last step, peft safetensors)").is_visible()
    assert len(tab.default_store().sessions()) == 1
    watch.screenshot("finetune-tab")
    watch.assert_clean()
    context.close()
    deadline = time.monotonic() + 30
    while tab.default_store().sessions() and time.monotonic() < deadline:
        time.sleep(0.5)
    assert tab.default_store().sessions() == []  # the tab closed: its adapters went with it


@pytest.mark.browser
def test_one_step_up_close_from_the_tab(browser, lab_app):
    from conftest import PageWatch

    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    watch = PageWatch(context.new_page(), lab_app)
    pg = watch.open("Fine-tuning")
    pg.locator(".ft-loss").first.wait_for(timeout=30_000)
    pg.get_by_text("One step, up close: training vs inference").click()
    pg.get_by_role("button", name="Take one step on this row").click()
    pg.get_by_text("after one step").first.wait_for(timeout=120_000)
    assert pg.get_by_text("Inference").first.is_visible()  # the measured cost of a forward pass against a step
    assert pg.locator(".ft-down").count() >= 1  # tokens whose loss fell
    pg.locator(".js-plotly-plot").first.wait_for(timeout=15_000)  # the weights that moved
    watch.screenshot("finetune-one-step")
    watch.assert_clean()
    context.close()


@pytest.mark.browser
def test_the_tab_fits_a_phone(browser, lab_app):
    from conftest import assert_fits_a_phone

    assert_fits_a_phone(browser, lab_app, "Fine-tuning", lambda pg: pg.locator(".ft-loss").first.wait_for(timeout=30_000), "finetune-phone")
