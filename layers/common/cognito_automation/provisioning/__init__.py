"""User provisioning from SQS: the message contract, the consumer's convergence logic, pacing under
Cognito's quotas, and the exceptions (`errors`). The producer command is `tools/producer.py`."""
