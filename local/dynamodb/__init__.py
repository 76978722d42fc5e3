"""DynamoDB on the local stack: what CloudFormation does with a table that moto does not."""
