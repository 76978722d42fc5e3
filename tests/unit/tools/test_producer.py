"""The producer command: validation by line, batches of 10, per-row results, redrive."""

from __future__ import annotations

import csv
import io
import json
import time
from pathlib import Path
from typing import Any

import pytest

from cognito_automation.provisioning.errors import PermanentError
from cognito_automation.provisioning.messages import parse_message
from tests.unit.cognito_automation.provisioning.support import RecordingClient, Stack, build_stack, drain
from tools.producer import EXIT_INVALID, EXIT_OK, Progress, main, validate_rows

HEADER = "username,email,name,preferred_username,groups,remove_groups,invitation,temporary_password\n"


@pytest.fixture
def stack(aws: None) -> Stack:
    return build_stack()


def _csv(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "users.csv"
    path.write_text(HEADER + "".join(row + "\n" for row in rows))
    return path


def _row(i: int, groups: str = "users", password: str = "") -> str:
    return f"user{i},user{i}@example.com,User {i},user{i},{groups},,SUPPRESS,{password}"


def _run(argv: list[str], sqs: Any, stdin: str = "", kms: Any = None) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, sqs=sqs, kms=kms, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_csv_rows_are_sent_in_batches_of_ten_with_a_result_per_row(stack: Stack, tmp_path: Path) -> None:
    # Given 25 valid rows
    path = _csv(tmp_path, [_row(i, groups="users;analysts") for i in range(25)])
    sqs = RecordingClient(stack.sqs)
    # When
    code, out, err = _run(["send", str(path), "--queue-url", stack.queue_url, "--json"], sqs)
    # Then
    assert code == EXIT_OK
    batches = [c for c in sqs.calls if c.operation == "SendMessageBatch"]
    assert [len(c.params["Entries"]) for c in batches] == [10, 10, 5]
    result = json.loads(out)
    assert result["sent"] == 25 and result["failed"] == 0
    assert [r["line"] for r in result["rows"]] == list(range(2, 27))
    assert all(r["status"] == "sent" and r["message_id"] for r in result["rows"])
    assert "25/25" in err
    messages = [parse_message(m["Body"]) for m in drain(stack.sqs, stack.queue_url)]
    assert sorted(m.username for m in messages) == sorted(f"user{i}" for i in range(25))
    assert all(m.groups == ("users", "analysts") for m in messages)
    assert messages[0].attributes["email"].endswith("@example.com")
    # every message carries its order: the time of sending, in microseconds since the epoch
    assert all(m.issued_at is not None and abs(m.issued_at / 1e6 - time.time()) < 600 for m in messages)


def test_invalid_rows_are_reported_by_line_number_and_nothing_is_sent(stack: Stack, tmp_path: Path) -> None:
    # Given a file with a bad group name, a repeated user and a bad invitation among good rows
    rows = [_row(1), _row(2, groups="a b"), _row(3), _row(1), _row(4).replace("SUPPRESS", "LOUD")]
    path = _csv(tmp_path, rows)
    sqs = RecordingClient(stack.sqs)
    # When
    code, out, _ = _run(["send", str(path), "--queue-url", stack.queue_url], sqs)
    # Then
    assert code == EXIT_INVALID
    assert sqs.calls == []
    lines = out.splitlines()
    assert lines[0].startswith("line 3: schema violation: data.groups[0]")
    assert lines[1] == "line 5: username 'user1' is also on line 2"
    assert lines[2].startswith("line 6: schema violation: data.invitation")
    assert lines[-1] == "3 invalid row(s); nothing was sent"


def test_json_lines_are_read_with_their_own_line_numbers(stack: Stack, tmp_path: Path) -> None:
    path = tmp_path / "users.jsonl"
    path.write_text(
        '{"action": "disable", "username": "a"}\n\n{"action": "delete", "username": "b"}\n{"action": 1}\n'
    )
    code, out, _ = _run(["send", str(path), "--queue-url", stack.queue_url, "--json"], stack.sqs)
    assert code == EXIT_INVALID
    assert [e["line"] for e in json.loads(out)["errors"]] == [4]


def test_stdin_is_read_in_the_given_format(stack: Stack) -> None:
    code, out, _ = _run(
        ["send", "-", "--format", "jsonl", "--queue-url", stack.queue_url],
        stack.sqs,
        stdin='{"action": "enable", "username": "a"}\n',
    )
    assert code == EXIT_OK
    assert out.splitlines()[-1] == "1 sent, 0 failed"


def test_temporary_passwords_are_sent_encrypted_for_their_user_and_never_printed(
    stack: Stack, tmp_path: Path
) -> None:
    # Given a row with a temporary password
    path = _csv(tmp_path, [_row(1, password="Very-Secret-Passw0rd")])
    # When it is sent with the stack's key
    argv = ["send", str(path), "--queue-url", stack.queue_url, "--key-id", stack.key_arn]
    code, out, err = _run(argv, stack.sqs, kms=stack.kms)
    # Then the queue holds only its ciphertext, which the key opens for that user alone
    assert code == EXIT_OK
    assert "Very-Secret-Passw0rd" not in out + err
    (message,) = drain(stack.sqs, stack.queue_url)
    assert "Very-Secret-Passw0rd" not in json.dumps(message)
    body = json.loads(message["Body"])
    assert "temporary_password" not in body
    ciphertext = parse_message(message["Body"]).temporary_password_ciphertext
    assert ciphertext is not None
    assert stack.passwords().decrypt("user1", ciphertext) == "Very-Secret-Passw0rd"
    with pytest.raises(PermanentError, match="cannot be decrypted"):
        stack.passwords().decrypt("user2", ciphertext)


def test_temporary_passwords_without_a_key_are_refused_and_nothing_is_sent(
    stack: Stack, tmp_path: Path
) -> None:
    path = _csv(
        tmp_path, [_row(1), _row(2, password="Very-Secret-Passw0rd"), _row(3, password="An0ther-One!")]
    )
    code, out, err = _run(["send", str(path), "--queue-url", stack.queue_url], stack.sqs, kms=stack.kms)
    assert code == EXIT_INVALID
    assert "line(s) 3, 4 carry a temporary_password: give --key-id" in err
    assert "Very-Secret-Passw0rd" not in out + err
    assert drain(stack.sqs, stack.queue_url) == []


def test_a_key_kms_refuses_is_named_and_nothing_is_sent(stack: Stack, tmp_path: Path) -> None:
    path = _csv(tmp_path, [_row(1), _row(2, password="Very-Secret-Passw0rd")])
    argv = ["send", str(path), "--queue-url", stack.queue_url, "--key-id", "alias/no-such-key"]
    code, out, err = _run(argv, stack.sqs, kms=stack.kms)
    assert code == EXIT_INVALID
    assert "line 3: cannot encrypt the temporary_password with alias/no-such-key" in err
    assert "nothing was sent" in err
    assert "Very-Secret-Passw0rd" not in out + err
    assert drain(stack.sqs, stack.queue_url) == []


class _FlakyBatches:
    """SQS that fails one entry of the first batch on its own side (SenderFault false)."""

    def __init__(self, sqs: Any) -> None:
        self.sqs = sqs
        self.calls = 0

    def send_message_batch(self, **params: Any) -> Any:
        self.calls += 1
        if self.calls == 1:
            entries = params["Entries"]
            response = self.sqs.send_message_batch(QueueUrl=params["QueueUrl"], Entries=entries[1:])
            response["Failed"] = [
                {
                    "Id": entries[0]["Id"],
                    "SenderFault": False,
                    "Code": "InternalError",
                    "Message": "try again",
                }
            ]
            return response
        return self.sqs.send_message_batch(**params)


def test_entries_sqs_failed_on_its_side_are_sent_again(stack: Stack, tmp_path: Path) -> None:
    path = _csv(tmp_path, [_row(i) for i in range(3)])
    code, out, _ = _run(["send", str(path), "--queue-url", stack.queue_url], _FlakyBatches(stack.sqs))
    assert code == EXIT_OK
    assert len(drain(stack.sqs, stack.queue_url)) == 3
    assert out.splitlines()[-1] == "3 sent, 0 failed"


def test_redrive_moves_dead_lettered_messages_back_without_failure_attributes(stack: Stack) -> None:
    # Given 13 dead-lettered messages with their reasons and a sender attribute
    for i in range(13):
        stack.sqs.send_message(
            QueueUrl=stack.dlq_url,
            MessageBody=json.dumps({"action": "disable", "username": f"u{i}"}),
            MessageAttributes={
                "failure_reason": {"DataType": "String", "StringValue": "group 'x' does not exist"},
                "failure_kind": {"DataType": "String", "StringValue": "permanent"},
                "batch": {"DataType": "String", "StringValue": "2026-11"},
            },
        )
    # When
    code, out, _ = _run(
        ["redrive", "--dlq-url", stack.dlq_url, "--queue-url", stack.queue_url, "--json"], stack.sqs
    )
    # Then
    assert code == EXIT_OK
    assert json.loads(out) == {"moved": 13, "failed": 0}
    assert drain(stack.sqs, stack.dlq_url) == []
    moved = drain(stack.sqs, stack.queue_url)
    assert len(moved) == 13
    assert all(set(m.get("MessageAttributes", {})) == {"batch"} for m in moved)


def test_producer_reaches_an_endpoint_given_by_aws_endpoint_url(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Given a moto server on loopback standing for the local stack, and AWS_ENDPOINT_URL pointing at it
    from moto.server import ThreadedMotoServer

    from cognito_automation import aws

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://{host}:{port}")
        aws.reset()
        sqs = aws.client(aws.SQS)
        queue_url = sqs.create_queue(QueueName="local-provisioning")["QueueUrl"]
        path = _csv(tmp_path, [_row(1), _row(2)])
        # When the command builds its own client
        code = main(["send", str(path), "--queue-url", queue_url], stdout=io.StringIO(), stderr=io.StringIO())
        # Then the messages are on the local queue
        assert code == EXIT_OK
        assert len(drain(sqs, queue_url)) == 2
    finally:
        aws.reset()
        server.stop()


def _queue_stack(stack: Stack, name: str, outputs: dict[str, str]) -> None:
    """A CloudFormation stack (in moto) whose outputs name the queues, as cognito-automation's do."""
    import boto3

    template = {
        "Resources": {"Marker": {"Type": "AWS::SQS::Queue"}},
        "Outputs": {key: {"Value": value} for key, value in outputs.items()},
    }
    boto3.client("cloudformation").create_stack(StackName=name, TemplateBody=json.dumps(template))


@pytest.fixture
def fresh_clients() -> Any:
    from cognito_automation import aws

    aws.reset()
    yield
    aws.reset()


def test_send_to_the_queue_of_a_stack_named_by_stack(
    stack: Stack, tmp_path: Path, fresh_clients: None
) -> None:
    # Given a stack whose ProvisioningQueueUrl output is the queue
    _queue_stack(stack, "team-cognito", {"ProvisioningQueueUrl": stack.queue_url})
    path = _csv(tmp_path, [_row(1), _row(2)])
    # When
    code, out, err = _run(["send", str(path), "--stack", "team-cognito"], stack.sqs)
    # Then
    assert (code, err.count("error")) == (EXIT_OK, 0)
    assert "2 sent, 0 failed" in out
    assert len(drain(stack.sqs, stack.queue_url)) == 2


def test_a_stack_gives_the_key_that_encrypts_temporary_passwords(
    stack: Stack, tmp_path: Path, fresh_clients: None
) -> None:
    # Given a stack whose outputs name the queue and the key
    _queue_stack(
        stack, "keyed-cognito", {"ProvisioningQueueUrl": stack.queue_url, "ProvisioningKeyArn": stack.key_arn}
    )
    path = _csv(tmp_path, [_row(1, password="Stack-Key-Passw0rd")])
    # When
    code, _, err = _run(["send", str(path), "--stack", "keyed-cognito"], stack.sqs)
    # Then the password went encrypted with the stack's key
    assert (code, err.count("error")) == (EXIT_OK, 0)
    (message,) = drain(stack.sqs, stack.queue_url)
    ciphertext = parse_message(message["Body"]).temporary_password_ciphertext
    assert ciphertext is not None
    assert stack.passwords().decrypt("user1", ciphertext) == "Stack-Key-Passw0rd"


def test_a_stack_without_the_queue_output_is_named_and_nothing_is_sent(
    stack: Stack, tmp_path: Path, fresh_clients: None
) -> None:
    _queue_stack(stack, "not-automation", {"SomethingElse": "x"})
    path = _csv(tmp_path, [_row(1)])
    code, _, err = _run(["send", str(path), "--stack", "not-automation"], stack.sqs)
    assert code == EXIT_INVALID
    assert "stack 'not-automation' has no output ProvisioningQueueUrl" in err
    code, _, err = _run(["send", str(path), "--stack", "no-such-stack"], stack.sqs)
    assert code == EXIT_INVALID
    assert "cannot read the outputs of stack 'no-such-stack'" in err
    assert drain(stack.sqs, stack.queue_url) == []


def test_redrive_finds_both_queues_from_the_stack(stack: Stack, fresh_clients: None) -> None:
    _queue_stack(
        stack,
        "team-cognito",
        {"ProvisioningQueueUrl": stack.queue_url, "ProvisioningDeadLetterQueueUrl": stack.dlq_url},
    )
    stack.sqs.send_message(
        QueueUrl=stack.dlq_url, MessageBody=json.dumps({"action": "enable", "username": "u"})
    )
    code, out, _ = _run(["redrive", "--stack", "team-cognito", "--json"], stack.sqs)
    assert code == EXIT_OK
    assert json.loads(out) == {"moved": 1, "failed": 0}
    assert len(drain(stack.sqs, stack.queue_url)) == 1


def test_redrive_needs_a_stack_or_both_queue_urls(stack: Stack) -> None:
    code, _, err = _run(["redrive", "--queue-url", stack.queue_url], stack.sqs)
    assert code == EXIT_INVALID and "give --stack, or both --dlq-url and --queue-url" in err
    code, _, err = _run(["redrive", "--stack", "x", "--queue-url", stack.queue_url], stack.sqs)
    assert code == EXIT_INVALID and "either --stack or" in err


@pytest.mark.parametrize(
    ("text", "errors"),
    [
        ('username,name\namy,"Dwayne ""The Rock"" Doe"\n', []),
        ('username,name\namy,"Doe, Amy"\r\nbob,Bob\r\n', []),
        (
            'username,name\namy,Amy\n\nbob,"Bob\n',
            [(4, "a quoted cell is not closed before the end of the file")],
        ),
        ('username,name\namy,"A\nmy"\nbob,Bob\n', [(2, "a quoted cell runs over lines 2-3")]),
        ('username,name\namy,Am"y\n', [(2, 'a quote (") in cell 2 that is not quoted')]),
        ('username,name\namy,"Amy" Doe\n', [(2, "text after the closing quote of a cell (line 2)")]),
        (
            "username,name,Name,name\namy,A,B,C\n",
            [(1, "column 'name' is in the header twice (columns 2 and 4)")],
        ),
        (
            "username,,name\namy,lost,Amy\n",
            [(2, "cell 2 has a value but its column has no name in the header")],
        ),
        ("username,name\namy,Amy,extra\n", [(2, "the row has more cells than the header has columns")]),
        ("username,name\namy," + "x" * 70_000 + "\n", [(2, "a cell is longer than 65536 characters")]),
    ],
)
def test_csv_is_read_strictly_by_line(text: str, errors: list[tuple[int, str]]) -> None:
    limit = csv.field_size_limit()
    _, found = validate_rows(text, "csv")
    assert [(e.line, e.error[: len(reason)]) for e, (_, reason) in zip(found, errors, strict=False)] == errors
    assert len(found) == len(errors)
    assert csv.field_size_limit() == limit  # the csv module's limit is the process's: it is given back


@pytest.mark.parametrize(
    ("line", "error"),
    [
        (
            '{"action": "upsert", "username": "amy", "attributes": {"name": "A", "name": "B"}}',
            "key 'name' is in an",
        ),
        ('{"action": "upsert", "username": "' + "a" * 300_000 + '"}', "the line is 300036 characters long"),
        ('{"action": "upsert", "username": "amy", "attributes": {"name": "A\u2028B"}}', ""),
    ],
)
def test_json_lines_are_read_strictly_by_line(line: str, error: str) -> None:
    rows, errors = validate_rows('{"action": "delete", "username": "zed"}\n' + line + "\n", "jsonl")
    assert [(e.line, e.error[: len(error)]) for e in errors] == ([(2, error)] if error else [])
    assert len(rows) == (1 if error else 2)


def test_a_byte_order_mark_is_not_part_of_the_file_and_a_file_not_in_utf_8_is_named_by_line(
    stack: Stack, tmp_path: Path
) -> None:
    path = tmp_path / "users.csv"
    path.write_bytes("username,email\namy,amy@example.com\n".encode("utf-8-sig"))
    code, out, _ = _run(["send", str(path), "--queue-url", stack.queue_url, "--dry-run"], stack.sqs)
    assert (code, out) == (EXIT_OK, "1 valid row(s)\n")
    code, out, _ = _run(
        ["send", "-", "--format", "csv", "--queue-url", stack.queue_url, "--dry-run"],
        stack.sqs,
        stdin="\ufeffusername\namy\n",
    )
    assert (code, out) == (EXIT_OK, "1 valid row(s)\n")
    path.write_bytes("username,name\namy,Amy\nzoé,Zoé\n".encode("cp1252"))
    code, _, err = _run(["send", str(path), "--queue-url", stack.queue_url], stack.sqs)
    assert code == EXIT_INVALID
    assert err.startswith(f"error: {path}: line 3 is not UTF-8 (byte 0xe9): save the file as UTF-8")
    assert err.endswith("; nothing was sent\n")


class _Terminal(io.StringIO):
    """A stream that says it is a terminal, as stderr in an interactive shell does."""

    def isatty(self) -> bool:
        return True


def test_progress_in_a_pipe_or_a_log_has_no_carriage_return_nor_escape_code(
    stack: Stack, tmp_path: Path
) -> None:
    # Given 25 rows and stderr that is a file, not a terminal
    path = _csv(tmp_path, [_row(i) for i in range(25)])
    # When
    code, _, err = _run(["send", str(path), "--queue-url", stack.queue_url], stack.sqs)
    # Then the progress is one final line, with no redrawing
    assert code == EXIT_OK
    assert "\r" not in err and "\x1b" not in err
    assert [line for line in err.splitlines() if "sending" in line] == [err.strip()]
    assert "25/25" in err


def test_progress_on_a_terminal_is_redrawn_in_place(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given a terminal (rich reads TERM; a dumb terminal would get no live bar)
    monkeypatch.setenv("TERM", "xterm-256color")
    monkeypatch.delenv("TTY_COMPATIBLE", raising=False)
    stream = _Terminal()
    progress = Progress("sending", 20, stream)
    # When
    progress.advance(10)
    progress.advance(10)
    progress.close()
    # Then the bar is redrawn over itself (carriage return, line erased, cursor hidden meanwhile), ending
    # at the total
    text = stream.getvalue()
    assert text.startswith("\x1b[?25l") and text.endswith("\x1b[?25h")
    assert "\r\x1b[2K" in text
    assert "20/20" in text
