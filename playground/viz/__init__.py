"""Plotly figure helpers shared by lessons."""
