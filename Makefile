# The front door. `make demo` and `make test` work on a fresh clone: both set up .venv first.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3.11
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
ENV ?= default
PORT ?= 4566
TEMPLATES := template.yaml $(wildcard examples/*/template.yaml) local/scenarios/demo_files/app-stack.yaml

# Targets that run on this machine only get a default region; the ones that reach AWS (deploy,
# example-deploy, provision, redrive) use yours (AWS_REGION or your profile's).
OFFLINE := generate lint check-rules unit test bench validate local demo example
$(OFFLINE): export AWS_REGION ?= us-east-1
$(OFFLINE): export AWS_DEFAULT_REGION ?= us-east-1
export SAM_CLI_TELEMETRY ?= 0

.PHONY: help venv format generate lint check-rules unit test bench docs build validate deploy package-bucket package publish local demo example example-name example-deploy provision redrive clean freeze

help: ## list the targets
	@grep -hE '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-12s %s\n", $$1, $$2}'

$(STAMP): requirements-dev.txt
	@command -v $(PYTHON) >/dev/null || { echo "error: $(PYTHON) not found; this project needs Python 3.11" >&2; exit 1; }
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	@echo "setting up $(VENV) from requirements-dev.txt (first run only)"
	@$(BIN)/python -m pip install -qq --disable-pip-version-check -r requirements-dev.txt
	@touch $@

venv: $(STAMP) ## create .venv from the pinned requirements

format: $(STAMP) ## format and auto-fix the code
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

# The JSON Schemas' validators are generated code (cognito_automation/_generated/), kept in the repository
# so that no cold start compiles a schema; lint fails while one is stale.
generate: $(STAMP) ## regenerate the JSON Schema validators after a change to a schema
	PYTHONPATH=layers/common $(BIN)/python -m tools.generate_validators

lint: $(STAMP) check-rules ## ruff, mypy, cfn-lint and sam validate --lint on every template; claim rules; fresh validators; the docs
	PYTHONPATH=layers/common $(BIN)/python -m tools.generate_validators --check
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/mypy --python-version 3.13 --package cognito_automation --package functions  # the code Lambda runs on python3.13
	$(BIN)/cfn-lint $(TEMPLATES)
	@for t in $(TEMPLATES); do echo "sam validate --lint $$t"; $(BIN)/sam validate --lint --template-file $$t >/dev/null; done
	$(BIN)/mkdocs build --strict --quiet

# Every claim rule file must pass before it can reach users: the main stack's (V2_0/V3_0 rules checked
# against PRE_TOKEN_EVENT_VERSION, the V1_0 rules against V1_0) and those each example registers with
# Custom::CognitoClaimRules in its template (their declared version).
PRE_TOKEN_EVENT_VERSION ?= V2_0
EXAMPLE_RULES := $(wildcard examples/*/template.yaml)
check-rules: $(STAMP) ## check the claim rules of the pre token trigger (also run by lint, test and deploy)
	PYTHONPATH=layers/common $(BIN)/python -m tools.claims check functions/pre_token/claim_rules.json --event-version $(PRE_TOKEN_EVENT_VERSION)
	PYTHONPATH=layers/common $(BIN)/python -m tools.claims check functions/pre_token/claim_rules.v1.json --event-version V1_0
	$(if $(EXAMPLE_RULES),PYTHONPATH=layers/common $(BIN)/python -m tools.claims check $(EXAMPLE_RULES))

unit: $(STAMP) ## unit tests only (no local stack)
	$(BIN)/pytest tests/unit -q

test: lint ## every check: lint, types, template lint, all tests
	$(BIN)/pytest -q -m "not bench"

bench: $(STAMP) ## benchmarks: speed and throughput figures only (the functions' logs go to .local/bench.log)
	$(BIN)/pytest tests/bench -q -m bench -s

# The manual in docs/ (mkdocs.yml): the site goes to .local/site; --strict fails on a broken link or
# anchor, a page missing from nav, or a snippet file that is not there.
docs: $(STAMP) ## build the manual (docs/) into .local/site
	$(BIN)/mkdocs build --strict

build: $(STAMP) ## sam build for python3.13 on arm64 (no container), then check the layer's wheels
	PATH="$(CURDIR)/$(BIN):$$PATH" $(BIN)/sam build
	$(BIN)/python -m tools.check_layer .aws-sam/build/CommonLayer

validate: $(STAMP)
	$(BIN)/sam validate --lint

deploy: check-rules build ## sam deploy to AWS (ENV=dev|prod picks the samconfig.toml environment)
	$(BIN)/sam deploy --config-env $(ENV)

# Publishing to the AWS Serverless Application Repository (docs/publishing.md): sam package uploads the
# built functions and layer, LICENSE and README.md to BUCKET (in the region you publish to, readable by the
# repository) and writes the template that points at them; sam publish creates the application, or the
# version template.yaml's SemanticVersion names (cognito_automation.__version__).
PACKAGED := .local/packaged.yaml
PREFIX ?= cognito-automation
package-bucket:
	@test -n "$(BUCKET)" || { echo "usage: make package|publish BUCKET=<S3 bucket in the publishing region> [PREFIX=<key prefix>]" >&2; exit 2; }

package: package-bucket check-rules build ## sam package to S3: make package BUCKET=<bucket> [PREFIX=cognito-automation]
	@mkdir -p $(dir $(PACKAGED))
	$(BIN)/sam package --template-file .aws-sam/build/template.yaml --s3-bucket "$(BUCKET)" --s3-prefix "$(PREFIX)" --output-template-file $(PACKAGED)

publish: package ## sam publish to the Serverless Application Repository: make publish BUCKET=<bucket>
	$(BIN)/sam publish --template $(PACKAGED)

local: $(STAMP) ## the whole system on this machine (moto on 127.0.0.1:$PORT, template.yaml deployed); Ctrl-C stops it
	PYTHONPATH=layers/common $(BIN)/python -m local --port $(PORT)

demo: $(STAMP) ## the scripted scenario on a fresh local stack: deploy, URLs, provisioning, sign-up, sign-in, clean-up
	PYTHONPATH=layers/common $(BIN)/python -m local.scenarios.demo

EXAMPLES := $(notdir $(patsubst %/samconfig.toml,%,$(wildcard examples/*/samconfig.toml)))

example: $(STAMP) ## an example of examples/ on a fresh local stack: make example [EXAMPLE=name] (default: all)
	PYTHONPATH=layers/common $(BIN)/python -m local.scenarios.examples $(EXAMPLE)

example-name:
	@test -n "$(filter $(EXAMPLE),$(EXAMPLES))" || { echo "usage: make example-deploy EXAMPLE=<one of: $(EXAMPLES)>" >&2; exit 2; }

# The same three steps against AWS: the automation stack (named <example>-cognito) with the example's
# parameters, the example's stack, then its users through the provisioning queue.
example-deploy: example-name check-rules build ## deploy an example to AWS: make example-deploy EXAMPLE=name
	$(BIN)/sam deploy --config-file $(abspath examples/$(EXAMPLE)/samconfig.toml) --config-env automation
	cd examples/$(EXAMPLE) && $(abspath $(BIN))/sam deploy
	$(if $(wildcard examples/$(EXAMPLE)/users.*),$(PRODUCER) send $(firstword $(wildcard examples/$(EXAMPLE)/users.*)) --stack $(EXAMPLE)-cognito)

PRODUCER := PYTHONPATH=layers/common $(BIN)/python -m tools.producer

# The queue is named by QUEUE_URL, or found in the outputs of the cognito-automation stack STACK.
QUEUES = $(if $(STACK),--stack "$(STACK)",$(if $(DLQ_URL),--dlq-url "$(DLQ_URL)") --queue-url "$(QUEUE_URL)")

provision: $(STAMP) ## send users to the queue: make provision FILE=users.csv STACK=<stack>|QUEUE_URL=... [KEY_ID=...] [JSON=1]
	@test -n "$(FILE)" -a -n "$(QUEUE_URL)$(STACK)" || { echo "usage: make provision FILE=users.csv|users.jsonl STACK=<cognito-automation stack>|QUEUE_URL=<ProvisioningQueueUrl> [KEY_ID=<ProvisioningKeyArn>, for temporary passwords] [JSON=1]" >&2; exit 2; }
	$(PRODUCER) send "$(FILE)" $(QUEUES) $(if $(KEY_ID),--key-id "$(KEY_ID)") $(if $(JSON),--json)

redrive: $(STAMP) ## move dead-lettered messages back: make redrive STACK=<stack> | DLQ_URL=... QUEUE_URL=...
	@test -n "$(STACK)" -o \( -n "$(DLQ_URL)" -a -n "$(QUEUE_URL)" \) || { echo "usage: make redrive STACK=<cognito-automation stack> | DLQ_URL=<ProvisioningDeadLetterQueueUrl> QUEUE_URL=<ProvisioningQueueUrl> [JSON=1]" >&2; exit 2; }
	$(PRODUCER) redrive $(QUEUES) $(if $(JSON),--json)

clean: ## remove build output and the local stack's state
	rm -rf .aws-sam .local

freeze: $(STAMP) ## re-pin requirements-dev.txt from the current .venv
	@{ head -2 requirements-dev.txt; $(BIN)/python -m pip freeze --exclude-editable | sort -f; } > requirements-dev.txt.new
	@mv requirements-dev.txt.new requirements-dev.txt
