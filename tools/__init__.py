"""Command-line tools for operators and developers (`python -m tools.<name>` with PYTHONPATH=layers/common);
they never ship in the Lambda layer."""
