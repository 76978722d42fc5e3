"""Conformance: real client libraries and tools against the local stack, as their users drive them."""
