"""The physical resource ids Custom::CognitoCallbackUrls issues: `cognito-callback-urls:<pool id>:<client
id>:<instance digest>` (standard library only, see cognito_automation.resource_ids)."""

from __future__ import annotations

from cognito_automation.resource_ids import ResourceIds, digest, is_client_id

IDS = ResourceIds("cognito-callback-urls")
ID_PREFIX = IDS.prefix
issue = IDS.issue
parse = IDS.parse

__all__ = ["IDS", "ID_PREFIX", "digest", "is_client_id", "issue", "parse"]
