"""The numbers of a preference pair: how likely the model finds each answer, and DPO's view of it.

An answer's log-probability is the sum, over its tokens, of log p(token | prompt and the answer so
far): the prompt's own tokens are not counted. The tokens are cut exactly as trl's DPO trainer cuts
a conversational row (the prompt rendered with the assistant's turn opened, then the whole chat; the
answer is what comes after their common prefix, the end-of-turn tokens included), so these are the
numbers trl trains on.

DPO (Rafailov et al., 2023) gives each answer an implicit reward, β·(log π(y|x) − log π_ref(y|x)):
how much more likely the tuned policy finds it than the frozen reference does. Its loss is
−log σ(reward_chosen − reward_rejected). Before training the policy is the reference, so both
rewards are 0 and the loss is −log σ(0) = log 2 ≈ 0.693.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any, Callable

import torch

Messages = list[dict[str, str]]


def _chat(tokenizer: Any, messages: Messages, **kw: Any) -> list[int]:
    out = tokenizer.apply_chat_template(messages, tokenize=True, return_dict=True, **kw)
    return [int(i) for i in out["input_ids"]]


def pair_ids(tokenizer: Any, prompt: Messages, answer: str) -> tuple[list[int], list[int]]:
    """(prompt ids, answer ids) as trl's DPO trainer tokenizes a conversational row."""
    prompt_ids = _chat(tokenizer, prompt, add_generation_prompt=True)
    full = _chat(tokenizer, prompt + [{"role": "assistant", "content": answer}])
    cut = 0
    while cut < min(len(prompt_ids), len(full)) and prompt_ids[cut] == full[cut]:
        cut += 1
    return prompt_ids[:cut], full[cut:]


Logits = Callable[[torch.Tensor], torch.Tensor]  # input ids (1, T) -> logits (1, T, vocab)


def model_logits(model: Any) -> Logits:
    def run(ids: torch.Tensor) -> torch.Tensor:
        return model(input_ids=ids.to(next(model.parameters()).device)).logits
    return run


def answer_logps(logits_of: Logits, prompt_ids: list[int], answer_ids: list[int]) -> torch.Tensor:
    """log p of each answer token given everything before it (float64 sums are taken by the caller)."""
    ids = torch.tensor([prompt_ids + answer_ids])
    with torch.no_grad():
        logits = logits_of(ids)[0, len(prompt_ids) - 1:-1].float().cpu()  # the positions that predict the answer
    return torch.log_softmax(logits, dim=-1).gather(1, torch.tensor(answer_ids)[:, None])[:, 0]


@dataclass(frozen=True)
class DPONumbers:
    chosen_reward: float
    rejected_reward: float
    margin: float  # chosen_reward - rejected_reward
    loss: float  # -log sigmoid(margin)


def dpo_numbers(chosen_logp: float, rejected_logp: float, ref_chosen_logp: float, ref_rejected_logp: float,
                beta: float) -> DPONumbers:
    """DPO's rewards, margin and loss for one pair (trl's "sigmoid" loss, without label smoothing)."""
    chosen = beta * (chosen_logp - ref_chosen_logp)
    rejected = beta * (rejected_logp - ref_rejected_logp)
    margin = chosen - rejected
    loss = -float(torch.nn.functional.logsigmoid(torch.tensor(margin, dtype=torch.float64)))
    return DPONumbers(chosen, rejected, margin, loss)


@dataclass
class PairScore:
    """One pair scored by a policy against a reference."""

    chosen_tokens: list[tuple[int, float]]  # (token id, log p) under the policy
    rejected_tokens: list[tuple[int, float]]
    chosen_logp: float
    rejected_logp: float
    ref_chosen_logp: float
    ref_rejected_logp: float
    dpo: DPONumbers


def score_pair(tokenizer: Any, policy: Logits, reference: Logits | None, prompt: Messages, chosen: str,
               rejected: str, beta: float) -> PairScore:
    """Both answers under the policy and the reference (None: the policy is the reference)."""
    p_c, c_ids = pair_ids(tokenizer, prompt, chosen)
    p_r, r_ids = pair_ids(tokenizer, prompt, rejected)
    c = answer_logps(policy, p_c, c_ids)
    r = answer_logps(policy, p_r, r_ids)
    lc, lr = float(c.double().sum()), float(r.double().sum())
    if reference is None:
        rc, rr = lc, lr
    else:
        rc = float(answer_logps(reference, p_c, c_ids).double().sum())
        rr = float(answer_logps(reference, p_r, r_ids).double().sum())
    return PairScore(list(zip(c_ids, c.tolist())), list(zip(r_ids, r.tolist())), lc, lr, rc, rr,
                     dpo_numbers(lc, lr, rc, rr, beta))


LOG2 = math.log(2)
