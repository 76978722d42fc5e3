"""Entry point of the provision_users function (filled in by its own issue)."""

from typing import Any


def lambda_handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    raise NotImplementedError("provision_users is not built yet")
