"""Shared package of the Cognito automation functions, deployed as the `common` Lambda layer.

Domain logic lives here and takes every dependency as an argument (pool id, table name, boto3 client);
it never reads the environment and never creates clients. Handlers in `functions/` do that, once.
"""

# The application's semantic version, its one definition (see CHANGELOG.md; `make publish` ships it)
__version__ = "0.1.0"
