"""Gradio pieces shared by every tab: the lesson header, error handling, input checks, queues."""
