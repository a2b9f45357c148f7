"""Contextual meaning: one word in several sentences, read out of MiniLM's BERT.

The input embedding of a word is one row of the `word_embeddings` table, the same vector whatever
sentence it sits in. Each transformer layer mixes in the neighbouring words, so the word's hidden
state at the top depends on its context: "bank" by a river and "bank" with money drift apart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import torch

from playground.checks import UserInputError
from playground.lessons.embeddings.results import KEY
from playground.lessons.embeddings.space import cosine_matrix
from playground.models import ModelHub

MAX_SENTENCES = 12


@dataclass
class ContextResult:
    word: str
    sentences: list[str]
    pieces: list[list[str]]  # the word's WordPiece tokens in each sentence
    static: np.ndarray  # (n, d) input embedding rows (mean over the word's pieces)
    layers: np.ndarray  # (n_layers + 1, n, d) hidden state of the word at each layer
    static_cos: np.ndarray  # (n, n)
    top_cos: np.ndarray  # (n, n) cosine of the last layer's hidden states
    layer_mean_cos: list[float]  # mean cosine over distinct sentence pairs, per layer

    def as_json(self) -> dict:
        return {
            "word": self.word,
            "sentences": self.sentences,
            "pieces": self.pieces,
            "input_embedding_cosine": self.static_cos.round(6).tolist(),
            "hidden_state_cosine": self.top_cos.round(6).tolist(),
            "mean_cosine_by_layer": [round(x, 6) for x in self.layer_mean_cos],
        }


def _word_span(sentence: str, word: str) -> tuple[int, int] | None:
    m = re.search(rf"(?<!\w){re.escape(word)}(?!\w)", sentence, flags=re.IGNORECASE)
    return (m.start(), m.end()) if m else None


def contextual_vectors(hub: ModelHub, word: str, sentences: list[str]) -> ContextResult:
    """The word's input embedding and its hidden state at every layer, in each sentence."""
    word = word.strip()
    if not word or len(word.split()) != 1:
        raise UserInputError("Type one word (no spaces) to follow through the sentences, e.g. bank.")
    if len(sentences) < 2:
        raise UserInputError("Give at least two sentences that use the word, one per line.")
    if len(sentences) > MAX_SENTENCES:
        raise UserInputError(f"Use at most {MAX_SENTENCES} sentences here (you gave {len(sentences)}).")
    loaded = hub.get(KEY)
    tok = loaded.tokenizer
    bert = loaded.model[0].auto_model
    table = bert.get_input_embeddings().weight
    pieces, static, layers = [], [], []
    for line_no, sentence in enumerate(sentences, 1):
        span = _word_span(sentence, word)
        if span is None:
            raise UserInputError(f"Sentence {line_no} (\"{sentence[:60]}\") does not contain the word '{word}'.")
        enc = tok(sentence, return_tensors="pt", return_offsets_mapping=True, truncation=True, max_length=256)
        offsets = enc.pop("offset_mapping")[0].tolist()
        idx = [i for i, (a, b) in enumerate(offsets) if b > a and a < span[1] and b > span[0]]
        if not idx:
            raise UserInputError(f"Sentence {line_no} is too long: the word '{word}' falls past the model's 256-token limit here.")
        ids = enc["input_ids"][0, idx]
        pieces.append(tok.convert_ids_to_tokens(ids.tolist()))
        with torch.no_grad():
            out = bert(**{k: v.to(bert.device) for k, v in enc.items()}, output_hidden_states=True)
            static.append(table[ids.to(table.device)].float().mean(0).cpu().numpy())
            layers.append(torch.stack([h[0, idx].float().mean(0) for h in out.hidden_states]).cpu().numpy())
    static_arr = np.stack(static)
    layer_arr = np.stack(layers, axis=1)  # (layers + 1, n, d)
    n = len(sentences)
    off = ~np.eye(n, dtype=bool)
    means = [float(cosine_matrix(layer_arr[l])[off].mean()) for l in range(layer_arr.shape[0])]
    return ContextResult(word, sentences, pieces, static_arr, layer_arr, cosine_matrix(static_arr),
                         cosine_matrix(layer_arr[-1]), means)
