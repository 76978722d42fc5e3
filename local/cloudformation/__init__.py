"""CloudFormation on the local stack: the SAM transform, custom resources, stack operations, and the
resource models moto lacks."""
