"""User provisioning from SQS: the message contract, the consumer's convergence logic, pacing under
Cognito's quotas, and the producer command (`python -m cognito_automation.provisioning.producer`)."""
