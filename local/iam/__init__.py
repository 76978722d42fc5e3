"""IAM on the local stack: each function's calls authorised against its execution role."""
