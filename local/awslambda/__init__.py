"""Lambda on the local stack: functions run in this process, and the SQS event source mapping poller."""
