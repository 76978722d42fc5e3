"""Helpers for tests and scripts that drive the local stack from outside, as a user would."""
