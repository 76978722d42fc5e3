"""Entry point of the pre_token function (filled in by its own issue)."""

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise NotImplementedError("pre_token is not built yet")
