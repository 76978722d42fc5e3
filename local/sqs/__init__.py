"""SQS on the local stack: what SQS refuses that moto lets through."""
