"""The representation lab's costs, on a 200-text set (both built-in sets together, 7 labels): each
classifier against its bare library call in the same run, and SetFit and the embedding-model run
through the training worker against the same training in this process."""

from __future__ import annotations

import shutil
import tempfile
import time

import torch

from playground.bench import Measurement
from playground.models import ModelHub


def _timed(fn) -> float:
    began = time.perf_counter()
    fn()
    return time.perf_counter() - began


def measure(hub: ModelHub) -> list[Measurement]:
    from sklearn.linear_model import LogisticRegression

    from playground.lessons.representation import classify as C
    from playground.lessons.representation import jobs as J
    from playground.lessons.representation import lab
    from playground.lessons.representation import sets as S
    from playground.models.embedding_cache import CACHE
    from playground.training.jobs import JobRunner

    train, test = [], []
    for name in S.BUILTIN_SETS:
        a, b = S.builtin_split(name)
        train, test = train + a, test + b
    labels = S.check_split(train, test)
    descriptions = {k: v for d in S.DESCRIPTIONS.values() for k, v in d.items()}
    n = len(train) + len(test)
    encoder, lm = hub.get(C.ENCODER).model, hub.get(C.GENERATOR)
    texts_train, texts_test, y = [e.text for e in train], [e.text for e in test], [e.label for e in train]
    out = []

    CACHE.clear()  # ours computes its embeddings, as a first request does
    ours = _timed(lambda: C.embeddings_logreg(hub, train, test))
    bare = _timed(lambda: LogisticRegression(max_iter=1000, random_state=0).fit(
        encoder.encode(texts_train), y).predict(encoder.encode(texts_test)))
    out.append(Measurement("representation", f"embeddings + logistic regression, {n} texts", ours, bare,
                           "encode + scikit-learn fit / predict", target="ratio <= 1.2"))
    ours = _timed(lambda: C.zero_shot_embeddings(hub, test, descriptions))
    bare = _timed(lambda: (encoder.encode(texts_test) @ encoder.encode(list(descriptions.values())).T).argmax(1))
    out.append(Measurement("representation", f"zero-shot embeddings, {len(test)} texts (cached)", ours, bare,
                           "encode + cosine argmax", target="ratio <= 1.2", note="ours reads the cache"))

    def bare_generative():
        import copy

        for text in texts_test:  # the same forwards (the prompt once, then each label from a cache copy)
            prompt = C.generative_prompt(lm.tokenizer, text, labels)
            with torch.inference_mode():
                read = lm.model(torch.tensor([prompt]), use_cache=True, logits_to_keep=1)
                torch.log_softmax(read.logits[0, -1].float(), -1)
                for label in labels:
                    ids = lm.tokenizer(label, add_special_tokens=False)["input_ids"]
                    if len(ids) > 1:
                        lm.model(torch.tensor([ids[:-1]]), past_key_values=copy.deepcopy(read.past_key_values),
                                 use_cache=True)

    out.append(Measurement("representation", f"zero-shot generative, {len(test)} texts x {len(labels)} labels",
                           _timed(lambda: C.zero_shot_generative(hub, test, labels)), _timed(bare_generative),
                           "the same forwards (each prompt once, the labels from a cache copy)", target="ratio <= 1.2"))

    runner = JobRunner()
    c = lab.Comparison(labels, test, len(train))
    ours = _timed(lambda: list(lab.setfit_steps(hub, runner, "bench", c, train)))
    config = lab.setfit_config(hub, train, test, labels, 0, tempfile.mkdtemp(prefix="setfit-bare-"))  # the same run
    bare = _timed(lambda: J.setfit(config, lambda kind, **f: None))
    shutil.rmtree(config["out_dir"], ignore_errors=True)
    out.append(Measurement("representation", f"SetFit, {len(config['texts'])} examples, predicting {len(test)}", ours,
                           bare, "the same SetFit run in this process (no worker)", target="ours <= 120 s",
                           note=f"accuracy {c.methods[-1].accuracy:.0%}"))

    run = lab.embedding_run(hub, S.builtin_pairs(), 2, 5e-5, 0)
    result = {}
    ours = _timed(lambda: result.update(lab.train_embeddings_to_end(hub, runner, "bench", S.builtin_pairs(), 2, 5e-5, 0)))
    bare = _timed(lambda: J.contrastive(run.config, lambda kind, **f: None))
    shutil.rmtree(run.config["out_dir"], ignore_errors=True)
    out.append(Measurement("representation", f"embedding training, {len(run.train)} pairs x 2 epochs", ours, bare,
                           "the same run in this process (no worker)", target="ours <= 120 s",
                           note=f"MRR {result['before']['mrr']:.3f} -> {result['after']['mrr']:.3f}"))
    return out
