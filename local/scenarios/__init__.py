"""Scripted scenarios on a fresh local stack: `python -m local.scenarios.demo` (make demo) and
`python -m local.scenarios.examples` (make example)."""
