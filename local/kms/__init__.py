"""KMS on the local stack: what CloudFormation does with a key that moto does not."""
