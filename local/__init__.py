"""The local stack: the whole system on moto, on loopback, with no AWS account and no Docker.

`LocalCloud(port=0).start()` runs it in this process; `python -m local` (make local) runs it in the
foreground with template.yaml deployed.
"""

from local.stack import ACCOUNT_ID, DeployError, LocalCloud

__all__ = ["ACCOUNT_ID", "DeployError", "LocalCloud"]
