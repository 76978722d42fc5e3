"""Cognito on the local stack: what Cognito does that moto does not (hooks around its API, hosted UI,
client URL checks, CloudFormation models)."""
