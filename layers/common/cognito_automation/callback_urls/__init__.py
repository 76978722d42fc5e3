"""Custom::CognitoCallbackUrls: add a stack's URLs to a Cognito app client and remove exactly those again.

Modules: `validation` (the URL rules), `client_settings` (the UpdateUserPoolClient round-trip),
`ledger` (who owns which URL, and the per-client lease), `operation` (create, update, delete),
`resource` (what the custom resource's Create, Update and Delete do) and `errors`.
"""
