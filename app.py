"""Hugging Face Spaces entry point: build the playground and launch it.

Spaces runs `python app.py`; locally, prefer `python -m playground`.
"""

import os

from playground.ui.app import serve

if __name__ == "__main__":
    serve(host=os.environ.get("GRADIO_SERVER_NAME", "0.0.0.0" if os.environ.get("SPACE_ID") else "127.0.0.1"),
          port=int(os.environ.get("GRADIO_SERVER_PORT", "7860")))
