"""Text the lessons work on: built-in corpora and learners' uploads, as `Corpus` objects.

Shared by the Embeddings and Topics lessons; nothing here loads a model.
"""

from playground.data.corpora import BUILTIN_CORPORA, Corpus, load_builtin
from playground.data.uploads import read_upload, upload_columns

__all__ = ["BUILTIN_CORPORA", "Corpus", "load_builtin", "read_upload", "upload_columns"]
