"""How likely each of a few continuations is after one shared prefix (teacher-forced, no sampling).

A classifier that asks a causal LM "which label?" scores every label's tokens as the answer. The
prefix is read once; each continuation's tokens after its first are read from a copy of the prefix's
KV cache, so k labels of a token or three cost one prompt forward and k tiny ones.
"""

from __future__ import annotations

import copy
from typing import Any

import torch


def continuation_logprobs(model: Any, prefix: list[int], continuations: list[list[int]]) -> list[float]:
    """The summed log-probability of each continuation's tokens right after `prefix`: what the model's
    own forward of prefix + continuation gives, token by token."""
    out = []
    with torch.inference_mode():
        read = model(torch.tensor([prefix], device=model.device), use_cache=True, logits_to_keep=1)
        first = torch.log_softmax(read.logits[0, -1].float(), -1)
        for ids in continuations:
            if not ids:
                raise ValueError("an empty continuation has no tokens to score")
            total = float(first[ids[0]])
            if len(ids) > 1:
                rest = model(torch.tensor([ids[:-1]], device=model.device),
                             past_key_values=copy.deepcopy(read.past_key_values), use_cache=True)
                logp = torch.log_softmax(rest.logits[0].float(), -1)
                total += float(logp[torch.arange(len(ids) - 1), torch.tensor(ids[1:])].sum())
            out.append(total)
    return out
