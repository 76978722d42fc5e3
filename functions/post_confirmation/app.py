"""Entry point of the post_confirmation function (filled in by its own issue)."""

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise NotImplementedError("post_confirmation is not built yet")
