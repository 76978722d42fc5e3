"""Development tools, run as `python -m tools.<name>` with PYTHONPATH=layers/common; never shipped in the
Lambda layer."""
