"""App client URL settings checked as Cognito checks them (moto 5.2.5 checks none).

The URL rules are the custom resource's own (`cognito_automation.callback_urls.validation`), which are
Cognito's: one definition, so the local stack and the deployed resource cannot drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from moto.cognitoidp.exceptions import InvalidParameterException

from cognito_automation.callback_urls.errors import InvalidUrlError
from cognito_automation.callback_urls.validation import check_list_size, check_urls

URL_LISTS = ("CallbackURLs", "LogoutURLs")


def validate_client_urls(config: Mapping[str, Any]) -> None:
    """Raise InvalidParameterException, as Cognito does, for invalid client URL settings."""
    try:
        for prop in URL_LISTS:
            urls = config.get(prop)
            check_urls(prop, urls, required=False)
            check_list_size(prop, list(urls or []))
    except InvalidUrlError as exc:
        raise InvalidParameterException(str(exc)) from exc
    default = config.get("DefaultRedirectURI")
    # A listed callback URL has passed the rules above; anything else is refused here.
    if default and default not in (config.get("CallbackURLs") or []):
        raise InvalidParameterException(f"DefaultRedirectURI {default!r} must be one of the CallbackURLs")
