"""What the training labs share: their data, their loss mask, the worker that trains, and the
adapters a learner takes away. Nothing here imports gradio.

    rows.py       JSONL rows checked one by one, the train / validation / test split, the built-in sets
    loss_mask.py  a row rendered through the chat template, which tokens carry loss, per-token loss
    base.py       where a worker process loads its own copy of the base model from
    jobs.py       JobRunner: one training job at a time in a worker process, a queue with places,
                  a progress channel, cancel
    adapters.py   AdapterStore: each session's adapters on disk, capped, removed when it ends
"""
