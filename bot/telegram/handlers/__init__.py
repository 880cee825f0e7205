"""One module per feature; app.py registers them in an explicit order."""
