"""The stack's hosted UI prefix domain: Cognito's rules for a prefix (`prefix`) and
Custom::CognitoHostedUiDomainGuard, which refuses a change of prefix before CloudFormation replaces the
domain (`guard`)."""
