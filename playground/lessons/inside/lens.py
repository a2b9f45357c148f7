"""The logit lens: what each layer would predict if the model stopped there.

Every layer adds to one running vector per position (the residual stream). Putting that vector
through the model's final norm and output layer, as if it were the last, gives a next-token
distribution per layer (nostalgebraist, 2020). transformers' `output_hidden_states=True` returns
the embeddings first and each layer's output after; the last of them already has the final norm
applied, so the last row is the model's own logits, and every other row is lm_head(norm(h)).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from playground.checks import UserInputError, check_text
from playground.lm.text import token_texts
from playground.models.catalog import Kind
from playground.models.loaders import LoadedModel

MAX_TOKENS = 256
TOP = 3  # tokens kept per cell for the hover


@dataclass
class Lens:
    ids: list[int]
    tokens: list[str]
    top_ids: np.ndarray  # [layers + 1, positions, TOP], best first
    top_probs: np.ndarray  # [layers + 1, positions, TOP]
    target_id: int
    target_token: str
    target_probs: np.ndarray  # [layers + 1]: p(target) at the last position, per layer
    target_ranks: np.ndarray  # [layers + 1]: 1 = the most likely token

    @property
    def n_rows(self) -> int:
        return self.top_ids.shape[0]

    def row_name(self, i: int) -> str:
        return "embeddings" if i == 0 else f"layer {i}"

    def as_json(self, tokenizer) -> dict:
        pieces = {int(i): tokenizer.decode([int(i)]) for i in np.unique(self.top_ids[:, :, 0])}
        return {"tokens": self.tokens,
                "layers": [[{"token": pieces[int(self.top_ids[r, p, 0])], "id": int(self.top_ids[r, p, 0]),
                             "prob": float(self.top_probs[r, p, 0])} for p in range(len(self.ids))]
                           for r in range(self.n_rows)]}


def check_causal(lm: LoadedModel) -> None:
    if lm.kind is not Kind.CAUSAL_LM:
        raise UserInputError(f"The logit lens needs a model that predicts the next token; {lm.key} is "
                             f"{'an encoder' if lm.kind is Kind.SENTENCE_ENCODER else 'not a causal language model'}.")


def encode_text(lm: LoadedModel, text: str) -> list[int]:
    text, _ = check_text(text, what="text", max_chars=20_000)  # longer still is refused below, by tokens
    ids = lm.tokenizer(text, add_special_tokens=False)["input_ids"]
    if not ids:
        raise UserInputError("The text has no tokens.")
    if len(ids) > MAX_TOKENS:
        raise UserInputError(f"The text is {len(ids)} tokens; the lens takes up to {MAX_TOKENS} (a grid row per "
                             "layer for every token).")
    return ids


def target_token_id(tokenizer, target: str | None) -> int | None:
    """The first token of `target` as the model would write it (a word usually starts with a space)."""
    if target is None or not str(target).strip():
        return None
    ids = tokenizer(str(target), add_special_tokens=False)["input_ids"]
    if not ids:
        raise UserInputError("The target has no tokens.")
    return int(ids[0])


CHUNK = 1024  # lens rows projected onto the vocabulary at once: 1024 x 49,152 floats is 200 MB


def logit_lens(lm: LoadedModel, text: str, target: str | None = None) -> Lens:
    """One forward with every hidden state, then all the layers' normed states through the output layer
    in a few large matrix products (a big product runs faster than 30 small ones). Only each cell's top
    tokens and the target's probability are kept: probabilities come from the logits and each row's
    log-sum-exp, so no second vocabulary-sized array is made."""
    check_causal(lm)
    ids = encode_text(lm, text)
    model, n = lm.model, len(ids)
    with torch.inference_mode():
        out = model(torch.tensor([ids], device=model.device), output_hidden_states=True, use_cache=False)
        hidden = out.hidden_states  # the embeddings, then each layer's output (the last one already normed)
        tid = target_token_id(lm.tokenizer, target)
        if tid is None:  # follow what the model finally predicts after the last token
            tid = int(out.logits[0, -1].argmax())
        norm, head = model.model.norm, model.get_output_embeddings()
        states = torch.cat([norm(h[0]) for h in hidden[:-1]])  # [layers * positions, hidden]
        tops_i, tops_p, last_logits = [], [], []
        per_chunk = max(1, CHUNK // n) * n  # whole layers per product, so each has its last position
        for rows in [*torch.split(states, per_chunk), None]:
            logits = (out.logits[0] if rows is None else head(rows)).float()  # the model's own row comes last
            lse = torch.logsumexp(logits, -1, keepdim=True)
            v, i = logits.topk(TOP, dim=-1)
            tops_i.append(i.cpu())
            tops_p.append((v - lse).exp().cpu())
            last = logits.view(-1, n, logits.shape[-1])[:, -1]  # each layer's last position
            last_logits.append(last - lse.view(-1, n, 1)[:, -1])
        last = torch.cat(last_logits)  # [layers + 1, vocab] log-probabilities after the last token
    rows_n = len(hidden)
    t_logp = last[:, tid]
    return Lens(ids, token_texts(lm.tokenizer, ids), torch.cat(tops_i).view(rows_n, n, TOP).numpy(),
                torch.cat(tops_p).view(rows_n, n, TOP).numpy(), tid, lm.tokenizer.decode([tid]),
                t_logp.exp().cpu().numpy(), ((last > t_logp[:, None]).sum(-1) + 1).cpu().numpy())
