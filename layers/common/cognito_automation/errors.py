"""The base of every error that means "the caller's input is wrong": a property of a custom resource, a
claim rule, a provisioning message. Each feature's `errors.py` derives its own from it.

The custom-resource runner answers such an error FAILED with its message (a warning in the log, no
traceback); any other exception is a fault of this code or of AWS, logged with its traceback.
"""

from __future__ import annotations


class InputError(ValueError):
    """The request, document or message is wrong; the message names the input and the rule it breaks."""
