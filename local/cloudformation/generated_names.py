"""Names CloudFormation generates for resources a template leaves unnamed, within the service's limit.

CloudFormation names such a resource from the stack's name, its logical id and a random suffix, shortening
the first two so that the name fits what the service accepts (a function name 64 characters, a queue name
80). moto 5.2.5 writes them out whole (`{stack}-{logical id}-{suffix}`), so that with a long stack name a
function gets a name Lambda refuses and two queues are both cut to the same 80 characters. Installed by
`local.moto_patches` around `moto.cloudformation.parsing.generate_resource_name`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

# The longest name each service accepts, for the resource types whose generated name can exceed it.
NAME_LIMITS = {
    "AWS::Lambda::Function": 64,
    "AWS::IAM::Role": 64,
    "AWS::SQS::Queue": 80,
}


def fitted(name: str, stack_name: str, logical_id: str, limit: int) -> str:
    """`name` (stack-logical id-suffix) with the stack name and logical id shortened to fit `limit`."""
    if len(name) <= limit:
        return name
    suffix = name.rsplit("-", 1)[-1]
    room = limit - len(suffix) - 2  # the two hyphens
    stack_part = stack_name[: max(room - len(logical_id), room // 2)]
    logical_part = logical_id[: room - len(stack_part)]
    return f"{stack_part}-{logical_part}-{suffix}"


def within_service_limits(original: Callable[[str, str, str], str]) -> Callable[[str, str, str], str]:
    @functools.wraps(original)
    def generate_resource_name(resource_type: str, stack_name: str, logical_id: str) -> str:
        name = original(resource_type, stack_name, logical_id)
        limit = NAME_LIMITS.get(resource_type)
        return name if limit is None else fitted(name, stack_name, logical_id, limit)

    return generate_resource_name
