"""Queue settings per kind of work, so cheap calls are never stuck behind slow ones.

Every event that runs a model passes `**MODEL_WORK`: such calls share one concurrency group,
sized for a 2-core CPU (two torch calls at once only fight over the cores). Pure reshaping of
numbers already computed (sliders on kept logits, re-projecting cached embeddings) passes
`**LIGHT_WORK` and runs beside them.
"""

MODEL_WORK = {"concurrency_id": "model", "concurrency_limit": 1}
LIGHT_WORK = {"concurrency_id": "light", "concurrency_limit": 4}
# The Data lab's curation pass (MinHash over up to 100,000 rows, then embeddings) can take a minute: it gets its
# own lane, one at a time, so nobody's next-token distribution waits behind someone's 100,000-row dataset.
DATA_WORK = {"concurrency_id": "data", "concurrency_limit": 1}
# Training runs in a worker process, one at a time (playground.training.jobs queues them and shows
# each learner its place); this group only lets the waiting learners' events stay open meanwhile.
TRAINING_WAIT = {"concurrency_id": "training", "concurrency_limit": 16}
