"""cfn-lint rules for this project's custom resources, loaded by `make lint` (`--append-rules`)."""
