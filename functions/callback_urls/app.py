"""Entry point of the callback_urls function (filled in by its own issue)."""

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise NotImplementedError("callback_urls is not built yet")
