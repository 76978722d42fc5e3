"""`make demo`: the whole system on this machine, step by step, as a newcomer watches it.

Starts the local stack, deploys template.yaml, lets an application stack add its URLs to the app client,
provisions users from a CSV through the queue (one bad row lands in the dead-letter queue), signs a user
up, signs a user in and shows the claims in the tokens, deletes the application stack and checks that
the client's URLs are back as before. Every step checks its outcome; the first one that does not hold
stops the demo with exit status 1 and says what was expected. Function logs go to .local/demo.log.
"""

from __future__ import annotations

import functools
import json
import logging
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from cognito_automation import aws
from cognito_automation.users import get_user_record
from local.stack import ROOT, DeployError, LocalCloud
from local.testing.signup import sign_up
from local.testing.tokens import verified_claims

if TYPE_CHECKING:
    from mypy_boto3_cognito_idp.type_defs import AuthenticationResultTypeTypeDef

FILES = Path(__file__).resolve().parent / "demo_files"
LOG_FILE = ROOT / ".local" / "demo.log"
STACK = "cognito-automation"
APP_STACK = "orders-app"
NEW_PASSWORD = "Correct-Horse-42!"  # noqa: S105 - a demo user's password on a throwaway local pool


class DemoError(Exception):
    """An outcome the demo checks did not hold."""


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise DemoError(message)


class Screen:
    """What the person watching reads: numbered steps, a few facts each, a tick or a cross."""

    def __init__(self, out: TextIO, total: int) -> None:
        self.out = out
        self.total = total
        self.number = 0
        self.results: list[tuple[str, float]] = []

    def line(self, text: str = "") -> None:
        print(text, file=self.out, flush=True)

    def fact(self, label: str, value: object) -> None:
        self.line(f"     {label:<22} {value}")

    def items(self, label: str, values: Sequence[str], marked: Sequence[str] = ()) -> None:
        if not values:
            self.fact(label, "(none)")
        for index, value in enumerate(values):
            mark = "  + " if value in marked else "    "
            self.line(f"     {label if index == 0 else '':<22}{mark}{value}")

    @contextmanager
    def step(self, title: str) -> Iterator[None]:
        self.number += 1
        self.line(f"\n[{self.number}/{self.total}] {title}")
        start = time.perf_counter()
        yield
        elapsed = time.perf_counter() - start
        self.results.append((title, elapsed))
        self.line(f"     ✓ done in {elapsed:.1f} s")


def client_urls(stack: LocalCloud, pool_id: str, client_id: str) -> tuple[list[str], list[str]]:
    client = stack.client(aws.COGNITO_IDP).describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    settings = client["UserPoolClient"]
    return list(settings.get("CallbackURLs", [])), list(settings.get("LogoutURLs", []))


def groups_of(stack: LocalCloud, pool_id: str, username: str) -> list[str]:
    groups = stack.client(aws.COGNITO_IDP).admin_list_groups_for_user(UserPoolId=pool_id, Username=username)
    return sorted(group["GroupName"] for group in groups["Groups"])


def attributes_of(stack: LocalCloud, pool_id: str, username: str) -> dict[str, str]:
    user = stack.client(aws.COGNITO_IDP).admin_get_user(UserPoolId=pool_id, Username=username)
    return {a["Name"]: a["Value"] for a in user["UserAttributes"]}


def provision(stack: LocalCloud, csv_file: Path, queue_url: str, key_arn: str) -> list[dict[str, Any]]:
    """Run the producer command as an administrator would, against the local stack: the temporary
    passwords in the file go encrypted with the stack's key."""
    env = stack.process_environment()
    command = [sys.executable, "-m", "tools.producer", "send", str(csv_file)]
    command += ["--queue-url", queue_url, "--key-id", key_arn, "--json"]
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)  # noqa: S603
    expect(
        done.returncode == 0, f"the producer command failed ({done.returncode}): {done.stderr.strip()[-600:]}"
    )
    report: dict[str, Any] = json.loads(done.stdout)
    expect(report["failed"] == 0, f"the producer could not send every row: {report['rows']}")
    rows: list[dict[str, Any]] = report["rows"]
    return rows


def dead_letters(stack: LocalCloud, dlq_url: str) -> list[tuple[str, str]]:
    """(username, reason) of every dead-lettered message, left in the queue."""
    sqs = stack.client(aws.SQS)
    found: list[tuple[str, str]] = []
    for _ in range(5):
        batch = sqs.receive_message(
            QueueUrl=dlq_url, MaxNumberOfMessages=10, MessageAttributeNames=["All"], VisibilityTimeout=0
        ).get("Messages", [])
        for message in batch:
            body = json.loads(message["Body"])
            attribute = (message.get("MessageAttributes") or {}).get("failure_reason")
            reason = attribute.get("StringValue", "") if attribute else ""
            if (body.get("username"), reason) not in found:
                found.append((body.get("username"), reason))
        if found:
            break
    return found


def sign_in(
    stack: LocalCloud, client_id: str, username: str, password: str
) -> AuthenticationResultTypeTypeDef:
    cognito = stack.client(aws.COGNITO_IDP)
    answer = cognito.initiate_auth(
        AuthFlow="USER_PASSWORD_AUTH",
        ClientId=client_id,
        AuthParameters={"USERNAME": username, "PASSWORD": password},
    )
    if answer.get("ChallengeName") == "NEW_PASSWORD_REQUIRED":
        answer = cognito.respond_to_auth_challenge(
            ClientId=client_id,
            ChallengeName="NEW_PASSWORD_REQUIRED",
            Session=answer["Session"],
            ChallengeResponses={"USERNAME": username, "NEW_PASSWORD": NEW_PASSWORD},
        )
    return answer["AuthenticationResult"]


def both_tokens_claims(
    stack: LocalCloud, pool_id: str, client_id: str, tokens: AuthenticationResultTypeTypeDef
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Both tokens' claims, once their signatures check out against the local JWKS."""
    read = functools.partial(verified_claims, stack.endpoint_url, stack.region, pool_id)
    id_claims = read(tokens["IdToken"], audience=client_id)
    access_claims = read(tokens["AccessToken"], options={"verify_aud": False})
    expect(access_claims.get("client_id") == client_id, "the access token was not issued to the app client")
    return id_claims, access_claims


def show_claims(screen: Screen, label: str, claims: dict[str, Any], names: Sequence[str]) -> None:
    screen.line(f"     {label}")
    for name in names:
        if name in claims:
            screen.fact(f"  {name}", json.dumps(claims[name]))


def scenario(stack: LocalCloud, screen: Screen) -> None:  # noqa: PLR0915 - one linear story, told in order
    with screen.step("Deploy template.yaml through CloudFormation"):
        outputs = stack.deploy(ROOT / "template.yaml", {"AllowSelfSignUp": "true"}, STACK)
        pool_id, client_id = outputs["UserPoolId"], outputs["AppClientId"]
        screen.fact("stack", f"{STACK} (CREATE_COMPLETE)")
        screen.fact("user pool", pool_id)
        screen.fact("app client", client_id)
        screen.fact("issuer", outputs["IssuerUrl"])
        screen.fact("provisioning queue", outputs["ProvisioningQueueUrl"].rsplit("/", 1)[-1])

    with screen.step("An application stack adds its URLs to the app client (Custom::CognitoCallbackUrls)"):
        before = client_urls(stack, pool_id, client_id)
        app = stack.deploy(FILES / "app-stack.yaml", {"AutomationStackName": STACK}, APP_STACK)
        after = client_urls(stack, pool_id, client_id)
        added = [url for url in after[0] + after[1] if url not in before[0] + before[1]]
        screen.items("callback URLs", after[0], marked=added)
        screen.items("sign-out URLs", after[1], marked=added)
        screen.line(f"     (+ marks what {APP_STACK} added; the rest was there before and is untouched)")
        expect(after[0][: len(before[0])] == before[0], "URLs that were on the client before changed")
        expect(len(added) == 2, f"expected the app stack's 2 URLs to be added, got {added}")
        expect(app["CallbackURLs"] == ",".join(after[0]), "the resource's CallbackURLs attribute disagrees")

    with screen.step("Administrators provision users from a CSV through the queue"):
        csv_file = FILES / "users.csv"
        results = provision(stack, csv_file, outputs["ProvisioningQueueUrl"], outputs["ProvisioningKeyArn"])
        screen.fact("producer", f"{len(results)} rows of {csv_file.relative_to(ROOT)} sent, in batches of 10")
        screen.fact("temporary passwords", "encrypted for their user; only the consumer's role decrypts")
        stack.drain(outputs["ProvisioningQueueUrl"], timeout_s=90)
        for username in ("alice", "bob", "carol"):
            tenant = attributes_of(stack, pool_id, username).get("custom:tenant", "-")
            screen.fact(username, f"groups {', '.join(groups_of(stack, pool_id, username))}; tenant {tenant}")
        expect(
            groups_of(stack, pool_id, "carol") == ["analysts", "users"], "carol is not in users and analysts"
        )
        rejected = dead_letters(stack, outputs["ProvisioningDeadLetterQueueUrl"])
        for username, reason in rejected:
            screen.fact("dead-letter queue", f"{username}: {reason}")
        expect(
            [u for u, _ in rejected] == ["mallory"], f"expected mallory's row dead-lettered, got {rejected}"
        )
        users = stack.client(aws.COGNITO_IDP).list_users(UserPoolId=pool_id)["Users"]
        expect("mallory" not in {u["Username"] for u in users}, "the forbidden row created a user")

    with screen.step("A user signs up and confirms (post confirmation: default group, user record)"):
        cognito = stack.client(aws.COGNITO_IDP)
        sign_up(cognito, client_id, "dana", NEW_PASSWORD, email="dana@example.com", name="Dana Loe")
        cognito.confirm_sign_up(ClientId=client_id, Username="dana", ConfirmationCode="123456")
        screen.fact("dana's groups", ", ".join(groups_of(stack, pool_id, "dana")))
        record = get_user_record(stack.client(aws.DYNAMODB), outputs["UsersTableName"], pool_id, "dana")
        if record is None:
            raise DemoError("the post confirmation trigger wrote no user record")
        screen.fact("user record", f"users table: dana, created {record['created_at']['S']}")
        expect("users" in groups_of(stack, pool_id, "dana"), "dana was not added to the default group")

    with screen.step("alice signs in; the pre token trigger puts the claim rules' claims in her tokens"):
        tokens = sign_in(stack, client_id, "alice", "Welcome-2-Acme!")
        id_claims, access_claims = both_tokens_claims(stack, pool_id, client_id, tokens)
        screen.fact("signature", "RS256, verified against the local JWKS")
        show_claims(screen, "ID token:", id_claims, ("name", "groups", "roles", "tenant", "cognito:groups"))
        show_claims(screen, "access token:", access_claims, ("groups", "roles", "tenant", "scope"))
        expect(id_claims.get("tenant") == "acme", "the ID token has no tenant claim from custom:tenant")
        expect("analysts" in id_claims.get("groups", []), "the ID token has no groups claim")
        expect(
            "app/analytics" in str(access_claims.get("scope", "")), "the access token lacks the group's scope"
        )

    with screen.step(f"Delete {APP_STACK}: its URLs leave the client, nothing else does"):
        stack.delete(APP_STACK)
        restored = client_urls(stack, pool_id, client_id)
        screen.items("callback URLs", restored[0])
        screen.items("sign-out URLs", restored[1])
        expect(restored == before, f"the client's URLs are not back as before: {restored} != {before}")


def run(out: TextIO, log: TextIO) -> int:
    screen = Screen(out, total=6)
    screen.line(
        "Cognito automation demo: the whole system on this machine (moto on 127.0.0.1, no AWS account)"
    )
    started = time.perf_counter()
    stack = LocalCloud(port=int(os.environ.get("DEMO_PORT", "0"))).start()
    screen.line(
        f"local stack listening on {stack.endpoint_url}; function logs in {LOG_FILE.relative_to(ROOT)}"
    )
    try:
        scenario(stack, screen)
    except (DemoError, DeployError) as exc:
        screen.line(f"     ✗ {exc}")
        screen.line(
            f"\ndemo FAILED at step {screen.number}; see {LOG_FILE.relative_to(ROOT)} for the functions' logs"
        )
        return 1
    except Exception as exc:
        logging.getLogger("local.scenarios.demo").exception("the demo stopped on an unexpected error")
        screen.line(f"     ✗ unexpected {type(exc).__name__}: {exc}")
        screen.line(
            f"\ndemo FAILED at step {screen.number}; the traceback is in {LOG_FILE.relative_to(ROOT)}"
        )
        return 1
    finally:
        stack.stop()
        log.flush()
    screen.line(f"\nAll {screen.total} steps passed in {time.perf_counter() - started:.1f} s:")
    for title, elapsed in screen.results:
        screen.line(f"  ✓ {title} ({elapsed:.1f} s)")
    return 0


def main(run_demo: Callable[[TextIO, TextIO], int] = run) -> int:
    LOG_FILE.parent.mkdir(parents=True, exist_ok=True)
    out = sys.stdout
    with LOG_FILE.open("w", encoding="utf-8") as log:
        # functions log to stdout (Powertools) and the stack through logging: both go to the log file
        sys.stdout = log
        logging.basicConfig(
            level=logging.INFO, stream=log, format="%(asctime)s %(name)s %(message)s", force=True
        )
        try:
            return run_demo(out, log)
        finally:
            sys.stdout = out


if __name__ == "__main__":
    raise SystemExit(main())
