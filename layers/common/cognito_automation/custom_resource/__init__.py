"""The one custom-resource runner: what every custom resource of this project shares.

`runner` (a CloudFormation request in, exactly one answer out), `request` (what a resource is given and
gives back), `responder` (the answer, standard library only), `physical_ids`, `app_client` (the UserPoolId
and ClientId properties) and `errors`. A resource says only what its Create, Update and Delete do.
"""
