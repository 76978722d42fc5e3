"""`LocalCloud`: a moto server on loopback, extended, that deploys SAM templates through CloudFormation.

    with LocalCloud(port=0).start() as stack:
        outputs = stack.deploy(Path("template.yaml"), {"Environment": "dev"}, "cognito-automation")
        cognito = stack.client(shared_clients.COGNITO_IDP)

One LocalCloud runs per process at a time: moto's state is process-wide.
"""

from __future__ import annotations

import json
import logging
import os
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, TypedDict, TypeVar, cast

import boto3
from botocore.client import BaseClient
from botocore.config import Config
from moto.moto_api._internal.models import moto_api_backend
from moto.moto_server.werkzeug_app import create_backend_app
from werkzeug.serving import make_server

from cognito_automation import aws as shared_clients
from cognito_automation.custom_resource.provenance import RESPONSE_URL_SETTING
from local import moto_patches
from local.awslambda import calls
from local.awslambda.runtime import FunctionRuntime
from local.awslambda.sqs_poller import EventSourcePoller
from local.cloudformation.custom_resources import RESPONSE_PATH
from local.cloudformation.sam_transform import (
    ARTIFACT_BUCKET,
    Translation,
    load_template,
    rewrite_local_code,
    with_defaults,
    zip_directory,
)
from local.cloudformation.stack_operations import MAX_TEMPLATE_BODY_BYTES
from local.cognito_idp.hooks import CognitoHooks, Invitation, RateLimiter
from local.cognito_idp.hosted_ui import HostedUi
from local.cognito_idp.issuer import AWS, checked_mode, mode_from
from local.cognito_idp.issuer import CURRENT as ISSUERS
from local.iam import enforcement
from local.server import Dispatcher, LocalApp, tracked_handler
from local.threads import BACKGROUND, ThreadGroup

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_cloudformation.type_defs import ParameterTypeDef, StackTypeDef

log = logging.getLogger("local.stack")

ACCOUNT_ID = "123456789012"
ROOT = Path(__file__).resolve().parent.parent
ClientT = TypeVar("ClientT")
DONE = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "DELETE_COMPLETE"}
FAILED = {
    "CREATE_FAILED",
    "ROLLBACK_COMPLETE",
    "ROLLBACK_FAILED",
    "DELETE_FAILED",
    "UPDATE_ROLLBACK_COMPLETE",
    "UPDATE_ROLLBACK_FAILED",
}


class TemplateSource(TypedDict, total=False):
    """Where CreateStack/UpdateStack read the template from: exactly one of the two."""

    TemplateBody: str
    TemplateURL: str


class DeployError(Exception):
    """A stack operation ended in a failed state; the message carries CloudFormation's reasons."""


def quotas_enabled(env: Mapping[str, str]) -> bool:
    return env.get("LOCAL_COGNITO_QUOTAS", "").strip().lower() in ("1", "true", "yes")


class LocalCloud:
    def __init__(
        self,
        port: int = 0,
        *,
        region: str | None = None,
        enforce_quotas: bool | None = None,
        enforce_iam: bool | None = None,
        host: str = "127.0.0.1",
        issuer: str | None = None,
    ):
        """`issuer`: `aws` (tokens and discovery name Cognito's issuer) or `local` (they name
        `<endpoint_url>/<pool id>`, for discovery-driven relying parties); by default what
        `LOCAL_COGNITO_ISSUER` says, else `aws`. See local.cognito_idp.issuer."""
        self.host = host
        self.port = port
        self.region = region or os.environ.get("AWS_REGION") or "us-east-1"
        self.account_id = ACCOUNT_ID
        self.enforce_quotas = quotas_enabled(os.environ) if enforce_quotas is None else enforce_quotas
        self._issuer_mode = mode_from(os.environ) if issuer is None else checked_mode(issuer)
        # each function's calls authorised against its role (local.iam.enforcement), unless turned off
        self.enforce_iam = enforcement.enabled_by(os.environ) if enforce_iam is None else enforce_iam
        self.outputs: dict[str, str] = {}
        self.stack_outputs: dict[str, dict[str, str]] = {}
        self._server: Any = None
        self._requests = ThreadGroup()  # the threads serving requests
        self._thread: threading.Thread | None = None
        self._poller: EventSourcePoller | None = None
        self.runtime: FunctionRuntime | None = None
        self._session: boto3.session.Session | None = None
        self._clients: dict[str, BaseClient] = {}
        self._clients_lock = threading.Lock()
        self._saved_env: dict[str, str | None] = {}
        self.cognito: CognitoHooks | None = None
        self.hosted_ui: HostedUi | None = None

    # --- lifecycle -----------------------------------------------------------------------------
    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def issuer_mode(self) -> str:
        """`aws` or `local`: which issuer the tokens issued from now on, and the discovery documents,
        name. Settable on a running stack (tokens issued before keep theirs)."""
        return self._issuer_mode

    @issuer_mode.setter
    def issuer_mode(self, mode: str) -> None:
        self._issuer_mode = checked_mode(mode)
        if self._server is not None:
            ISSUERS.configure(self._issuer_mode, self.endpoint_url)

    def issuer(self, user_pool_id: str) -> str:
        """The issuer (`iss`) of the pool's tokens in the mode in force; its discovery document is at
        `<issuer>/.well-known/openid-configuration` in local mode, on this stack in either mode."""
        return ISSUERS.of(self.region, user_pool_id)

    def start(self) -> LocalCloud:
        os.environ.setdefault("MOTO_ACCOUNT_ID", self.account_id)
        logging.getLogger("werkzeug").setLevel(logging.WARNING)  # no line per request
        moto_api_backend.reset()  # a fresh account: moto's state is process-wide
        limiter = RateLimiter() if self.enforce_quotas else None
        self.cognito = CognitoHooks(self.account_id, self.region, limiter)
        self.hosted_ui = HostedUi(self.cognito)
        app = LocalApp(Dispatcher(create_backend_app), self.cognito, self.hosted_ui)
        self._requests = ThreadGroup()
        self._server = make_server(
            self.host, self.port, app, threaded=True, request_handler=tracked_handler(self._requests)
        )
        self.port = int(self._server.server_address[1])
        ISSUERS.configure(self._issuer_mode, self.endpoint_url)
        self.runtime = FunctionRuntime(
            region=self.region,
            account_id=self.account_id,
            process_env={
                "AWS_ENDPOINT_URL": self.endpoint_url,
                # custom resources answer only CloudFormation's response URLs: here, the local stack's
                # (on AWS the variable is absent, and the functions accept CloudFormation's bucket only)
                RESPONSE_URL_SETTING: f"{self.endpoint_url}{RESPONSE_PATH}",
                "AWS_ACCESS_KEY_ID": "testing",
                "AWS_SECRET_ACCESS_KEY": "testing",
                "AWS_REGION": self.region,
                "AWS_DEFAULT_REGION": self.region,
            },
        )
        moto_patches.install(self.runtime, self.endpoint_url)
        self._saved_env = {name: os.environ.get(name) for name in self.runtime.process_env}
        self.runtime.ensure_process_env()
        # The functions share the package's cached boto3 clients, which keep the endpoint they were made
        # with: an earlier stack's in the same process would be unreachable now.
        calls.install()  # before any function makes a client: the opt-in record of their AWS calls
        enforcement.install(self.account_id, self.region, enabled=self.enforce_iam)
        shared_clients.reset()
        self._thread = threading.Thread(target=self._server.serve_forever, name="local-stack", daemon=True)
        self._thread.start()
        self._poller = EventSourcePoller(self.account_id, self.region)
        self._poller.start()
        log.info("local stack listening on %s", self.endpoint_url)
        return self

    def stop(self, timeout_s: float = 10.0) -> None:
        """Stop serving and wait, up to `timeout_s` for each kind, for every thread the stack started:
        the pollers, Event invokes and custom resources (which may still call the server) first."""
        running: list[str] = []
        if self._poller is not None:
            running += self._poller.stop(timeout_s)
            self._poller = None
        running += BACKGROUND.join(timeout_s)
        if self._server is not None:
            self._server.shutdown()
            running += self._requests.join(timeout_s)
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout_s)
            if self._thread.is_alive():
                running.append(self._thread.name)
            self._thread = None
        if running:
            log.warning("threads still running after stop: %s", ", ".join(running))
        enforcement.uninstall()
        if self.runtime is not None:
            self.runtime.close()
        for client in self._clients.values():
            client.close()
        self._clients.clear()
        for name, value in self._saved_env.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
        self._saved_env = {}
        ISSUERS.configure(AWS, "")
        shared_clients.reset()

    def __enter__(self) -> LocalCloud:
        return self if self._server is not None else self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    # --- clients -------------------------------------------------------------------------------
    def client(self, service: shared_clients.Service[ClientT]) -> ClientT:
        """A boto3 client of this stack (explicit endpoint and fake credentials), cached per service:
        `client(aws.COGNITO_IDP)`, typed by its token; `client(aws.Service[Any]("logs"))` for a service
        whose stubs the project does not pin."""
        with self._clients_lock:
            if service.name not in self._clients:
                if self._session is None:
                    # One session: each new session loads botocore's endpoint data again (about 0.4 s).
                    self._session = boto3.session.Session()
                # The token types the client; boto3's own overloads need the service name as a literal.
                self._clients[service.name] = self._session.client(  # type: ignore[call-overload]
                    service.name,
                    endpoint_url=self.endpoint_url,
                    region_name=self.region,
                    aws_access_key_id="testing",
                    aws_secret_access_key="testing",  # noqa: S106 - moto's fake credentials
                    config=Config(retries={"max_attempts": 2, "mode": "standard"}, read_timeout=120),
                )
            return cast("ClientT", self._clients[service.name])

    def invitations(self, user_pool_id: str, username: str | None = None) -> list[Invitation]:
        """The invitation messages Cognito would have sent to the pool's users (AdminCreateUser without
        SUPPRESS), oldest first, with the temporary password each carries."""
        if self.cognito is None:
            raise RuntimeError("start() the local stack first")
        return self.cognito.invitations(user_pool_id, username)

    def process_environment(self) -> dict[str, str]:
        """The environment of a command run against this stack as against an AWS account: the
        endpoint, region and fake credentials, and the shared package importable."""
        if self.runtime is None:
            raise RuntimeError("start() the local stack first")
        return {
            **os.environ,
            **self.runtime.process_env,  # what the functions get: endpoint, region, fake credentials
            "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "common"), str(ROOT)]),
        }

    # --- deploy --------------------------------------------------------------------------------
    def deploy(
        self,
        template: Path | dict[str, Any],
        parameters: Mapping[str, str] | None = None,
        stack_name: str = "cognito-automation",
        *,
        base_dir: Path | None = None,
        timeout_s: float = 120.0,
    ) -> dict[str, str]:
        """Create the stack, or update it when it exists; returns its outputs once it is complete.

        As `sam deploy` does: the code directories go to S3 as zips, and the template, untransformed, with
        `s3://` code locations, goes to CloudFormation, which applies the SAM transform."""
        if isinstance(template, Path):
            base = base_dir or template.resolve().parent
            body = load_template(template)
        else:
            base = base_dir or ROOT
            body = template
        params = with_defaults(body, parameters or {})
        translation = rewrite_local_code(body, base)
        self._upload(translation)
        cfn = self.client(shared_clients.CLOUDFORMATION)
        cfn_params: list[ParameterTypeDef] = [
            {"ParameterKey": k, "ParameterValue": v} for k, v in params.items()
        ]
        statuses = [s["StackStatus"] for s in self._describe(cfn, stack_name)]
        if "ROLLBACK_COMPLETE" in statuses:
            # A stack whose creation rolled back cannot be updated, only deleted and created again.
            self.delete(stack_name, timeout_s)
            statuses = []
        source = self._template_source(stack_name, translation.template)
        if any(status != "DELETE_COMPLETE" for status in statuses):
            cfn.update_stack(
                StackName=stack_name,
                Parameters=cfn_params,
                **source,
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
            )
        else:
            cfn.create_stack(
                StackName=stack_name,
                Parameters=cfn_params,
                **source,
                Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"],
            )
        self._wait(cfn, stack_name, timeout_s)
        outputs = self.describe_outputs(stack_name)
        self.stack_outputs[stack_name] = outputs
        self.outputs = outputs
        return outputs

    def delete(self, stack_name: str, timeout_s: float = 60.0) -> None:
        cfn = self.client(shared_clients.CLOUDFORMATION)
        described = self._describe(cfn, stack_name)
        stack_id = described[0].get("StackId") if described else None
        if stack_id is None:
            return
        cfn.delete_stack(StackName=stack_name)
        self._wait(cfn, stack_id, timeout_s)
        remaining = self._describe(cfn, stack_id)
        status = remaining[0]["StackStatus"] if remaining else "DELETE_COMPLETE"
        if status != "DELETE_COMPLETE":
            # CloudFormation kept the stack (an export of it is imported): its newest event says why.
            events = cfn.describe_stack_events(StackName=stack_id)["StackEvents"]
            reason = next((e["ResourceStatusReason"] for e in events if e.get("ResourceStatusReason")), "")
            raise DeployError(f"stack {stack_name}: not deleted, still {status}: {reason}")
        self.stack_outputs.pop(stack_name, None)

    def drain(self, queue_url: str, timeout_s: float = 60.0) -> None:
        """Wait until a queue has no visible or in-flight messages (its consumer has finished)."""
        sqs = self.client(shared_clients.SQS)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            attributes = sqs.get_queue_attributes(
                QueueUrl=queue_url,
                AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
            )["Attributes"]
            visible = attributes.get("ApproximateNumberOfMessages", "0")
            in_flight = attributes.get("ApproximateNumberOfMessagesNotVisible", "0")
            if int(visible) == 0 and int(in_flight) == 0:
                return
            time.sleep(0.1)
        raise TimeoutError(f"{queue_url} still has messages after {timeout_s:.0f}s")

    def describe_outputs(self, stack_name: str) -> dict[str, str]:
        stacks = self._describe(self.client(shared_clients.CLOUDFORMATION), stack_name)
        return {o["OutputKey"]: o["OutputValue"] for s in stacks for o in s.get("Outputs") or []}

    @staticmethod
    def _describe(cfn: CloudFormationClient, stack_name: str) -> Sequence[StackTypeDef]:
        try:
            stacks = cfn.describe_stacks(StackName=stack_name)["Stacks"]
        except cfn.exceptions.ClientError as exc:
            if "does not exist" in str(exc):
                return []
            raise
        return stacks

    def _wait(self, cfn: CloudFormationClient, stack: str, timeout_s: float) -> None:
        deadline = time.monotonic() + timeout_s
        status = ""
        while time.monotonic() < deadline:
            described = self._describe(cfn, stack)
            status = described[0]["StackStatus"] if described else "DELETE_COMPLETE"
            if status in FAILED:
                raise DeployError(f"stack {stack}: {status}: {self.failure_reasons(stack)}")
            if status in DONE:
                return
            time.sleep(0.05)
        raise DeployError(f"stack {stack}: still {status} after {timeout_s:.0f}s")

    def failure_reasons(self, stack: str) -> str:
        events = self.client(shared_clients.CLOUDFORMATION).describe_stack_events(StackName=stack)[
            "StackEvents"
        ]
        reasons = [
            f"{e['LogicalResourceId']}: {e['ResourceStatusReason']}"
            for e in events
            if e.get("ResourceStatusReason")
            and ("FAILED" in e["ResourceStatus"] or "ROLLBACK" in e["ResourceStatus"])
        ]
        return "; ".join(dict.fromkeys(reasons)) or "no reason recorded"

    def _template_source(self, stack_name: str, template: dict[str, Any]) -> TemplateSource:
        """The template as the request's body, or, over CloudFormation's 51,200 bytes, as a TemplateURL in
        the artifact bucket (as `sam deploy` uploads a large template to S3)."""
        body = json.dumps(template)
        if len(body.encode()) <= MAX_TEMPLATE_BODY_BYTES:
            return {"TemplateBody": body}
        key = f"templates/{stack_name}.json"
        self.client(shared_clients.S3).put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=body.encode())
        return {"TemplateURL": f"https://{ARTIFACT_BUCKET}.s3.amazonaws.com/{key}"}

    def _upload(self, translation: Translation) -> None:
        """The code directories as zips in the artifact bucket, at the keys the template names."""
        s3 = self.client(shared_clients.S3)
        if not any(b["Name"] == ARTIFACT_BUCKET for b in s3.list_buckets().get("Buckets", [])):
            s3.create_bucket(Bucket=ARTIFACT_BUCKET)
        for key, directory in translation.artifacts.items():
            s3.put_object(Bucket=ARTIFACT_BUCKET, Key=key, Body=_ZIPS.zipped(directory))


class _ZipCache:
    """Each code directory zipped once per content (the suite deploys hundreds of times): a directory
    whose files (names, sizes, modification times) are unchanged gives the same archive, byte for byte,
    so its function's code hash, and its unpacked copy, stay the same."""

    def __init__(self) -> None:
        self._zips: dict[Path, tuple[tuple[tuple[str, int, int], ...], bytes]] = {}
        self._lock = threading.Lock()

    def zipped(self, directory: Path) -> bytes:
        files = tuple(
            (path.as_posix(), stat.st_size, stat.st_mtime_ns)
            for path in sorted(directory.rglob("*"))
            if path.is_file() and "__pycache__" not in path.parts
            for stat in [path.stat()]
        )
        with self._lock:
            cached = self._zips.get(directory)
            if cached is not None and cached[0] == files:
                return cached[1]
        archive = zip_directory(directory)
        with self._lock:
            self._zips[directory] = (files, archive)
        return archive


_ZIPS = _ZipCache()
