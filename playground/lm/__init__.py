"""What every lesson that runs a language model shares: prompts as ids, the engines that compute
logits (32-bit or 4-bit), the one decode loop, and token ids back to text.

    prompts.py     encode / chat_ids
    engines.py     ExactEngine, engine(lm, weights), the 4-bit engine's measured agreement
    fast_llama.py  the 4-bit Llama forward for CPU decoding
    decode.py      decode(engine, prefix, pick, ...), stop_ids
    text.py        token_text, token_texts, token_bytes, byte_decoder
"""
