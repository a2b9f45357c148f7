"""One training step, up close: what training does that inference does not.

On one example, in a worker process like every run: the loss of every token, then one optimizer
step (LoRA, AdamW) on that example alone, then the loss of every token again and the next-token
distribution at each position before and after; how far each layer's weights moved (the
adapter's update B·A times its scale, against the frozen weight it sits beside); and a forward
pass for inference against forward + backward + update for training, timed, with the memory each
holds: training keeps every activation the backward pass needs, the gradients, and the
optimizer's two running averages per trainable weight.
"""

from __future__ import annotations

import time
from typing import Any

from playground.lm.text import token_piece
from playground.training.base import load_base
from playground.training.jobs import Send
from playground.training.loss_mask import IGNORE

TOP = 5  # alternatives shown per position


def _top(logits, tokenizer) -> list[list[tuple[str, float]]]:
    import torch

    probs = torch.softmax(logits.float(), dim=-1)  # (T, vocab)
    values, ids = probs.topk(TOP, dim=-1)
    return [[(token_piece(tokenizer, int(i)), float(v)) for v, i in zip(vs, is_)] for vs, is_ in zip(values, ids)]


def step(config: dict[str, Any], send: Send) -> dict[str, Any]:
    """The job: one example's ids and labels in, the before / after / cost of one step out."""
    import torch
    import torch.nn.functional as F
    from peft import LoraConfig, get_peft_model
    from transformers import set_seed

    torch.set_num_threads(config["threads"])
    s = config["settings"]
    send("status", text="loading a private copy of the base model")
    model, tokenizer, _ = load_base(config["source"])
    set_seed(s["seed"])
    model = get_peft_model(model, LoraConfig(r=s["rank"], lora_alpha=s["alpha"], target_modules=list(s["targets"]),
                                             lora_dropout=0.0, task_type="CAUSAL_LM"))
    ids = torch.tensor([config["ids"]])
    labels = torch.tensor([config["labels"]])
    targets = ids[0, 1:]
    keep = labels[0, 1:] != IGNORE

    def losses_and_top():
        with torch.no_grad():
            logits = model(input_ids=ids).logits[0, :-1]  # (T-1, vocab): position t predicts token t+1
        per_token = F.cross_entropy(logits.float(), targets, reduction="none")
        return [float(x) if k else None for x, k in zip(per_token, keep)], _top(logits, tokenizer)

    send("status", text="inference: one forward pass")
    model.eval()
    before, top_before = losses_and_top()  # also warms the kernels up for the timing below
    began = time.perf_counter()
    with torch.no_grad():
        model(input_ids=ids)
    forward_s = time.perf_counter() - began

    send("status", text="training: forward, backward and one optimizer step")
    model.train()
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=s["learning_rate"])
    saved: list[int] = []

    def pack(t):  # count what autograd keeps for the backward pass
        saved.append(t.numel() * t.element_size())
        return t

    began = time.perf_counter()
    with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
        loss = model(input_ids=ids, labels=labels).loss
    loss.backward()
    optimizer.step()
    train_s = time.perf_counter() - began
    trainable = [p for p in model.parameters() if p.requires_grad]
    grad_bytes = sum(p.numel() * p.element_size() for p in trainable)
    optimizer_bytes = sum(v.numel() * v.element_size() for st in optimizer.state.values()
                          for v in st.values() if torch.is_tensor(v) and v.dim() > 0)
    optimizer.zero_grad()

    model.eval()
    after, top_after = losses_and_top()
    moved = []
    with torch.no_grad():
        for name, module in model.named_modules():
            if hasattr(module, "lora_A") and "default" in module.lora_A:
                delta = module.get_delta_weight("default")  # scale · B · A, the change to this weight
                base = module.get_base_layer().weight
                parts = name.split(".")
                layer = int(parts[parts.index("layers") + 1])
                moved.append({"layer": layer, "module": parts[-1], "relative": float(delta.norm() / base.norm())})
    return {
        "tokens": [token_piece(tokenizer, int(i)) for i in config["ids"]],
        "before": before, "after": after, "top_before": top_before, "top_after": top_after,
        "loss_before": float(loss.detach()),
        "moved": moved,
        "forward_s": forward_s, "train_s": train_s,
        "activation_bytes": sum(saved), "grad_bytes": grad_bytes, "optimizer_bytes": optimizer_bytes,
        "weight_bytes": sum(p.numel() * p.element_size() for p in model.parameters()),
    }
