"""The producer command: validate a file of users, then send one provisioning message per row.

    python -m tools.producer send users.csv --queue-url URL [--key-id KEY] [--json]
    python -m tools.producer redrive --dlq-url URL --queue-url URL [--json]

`send` reads CSV (a header row; columns action, username, groups, remove_groups, invitation,
temporary_password, and any other column is a user attribute; list cells separated by `;`) or JSON Lines
(one message per line, as in the schema, except that `temporary_password` may be given in clear). The
file is read strictly (the csv module's strict mode; a broken quote, a line break in a cell, a stray quote,
a column twice in the header, a cell or line over the size limits, a key twice in a JSON object are
refused by line; a leading UTF-8 byte-order mark is ignored). Every row is validated first; one bad row
and nothing is sent. A temporary password is then encrypted with the
installation's KMS key (`--key-id`, or the stack's `ProvisioningKeyArn` output) for its user: the queue
only ever holds `temporary_password_ciphertext`. Then rows go out in batches of 10 with a progress bar on
stderr, and each row's result is printed.
`redrive` moves dead-lettered messages back to the queue, without their failure attributes.
Both reach AWS, or the local stack when AWS_ENDPOINT_URL is set (boto3 honours it). A developer's and
operator's tool: it lives outside the Lambda layer (run it from the repository root with
PYTHONPATH=layers/common).
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    ProgressColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.progress import Progress as RichProgress

from cognito_automation.provisioning.consumer import FAILURE_ATTRIBUTES
from cognito_automation.provisioning.errors import InvalidMessageError
from cognito_automation.provisioning.messages import PLAINTEXT_FIELD, ProvisioningMessage, validate_input
from cognito_automation.provisioning.passwords import PasswordKey

if TYPE_CHECKING:
    from mypy_boto3_cloudformation import CloudFormationClient
    from mypy_boto3_sqs import SQSClient
    from mypy_boto3_sqs.type_defs import (
        MessageAttributeValueOutputTypeDef,
        MessageAttributeValueTypeDef,
        SendMessageBatchRequestEntryTypeDef,
    )

    from cognito_automation.aws import KmsClient

BATCH = 10
LIST_SEPARATOR = ";"
_MESSAGE_FIELDS = ("action", "username", "groups", "remove_groups", "invitation", "temporary_password")
_SEND_ATTEMPTS = 4
# the longest CSV cell and JSON line read: far above what a message may hold (an attribute value is at most
# 2048 characters), far below what would make a mistake (a quote never closed) costly to read
CELL_LIMIT = 65_536
LINE_LIMIT = 262_144
BYTE_ORDER_MARK = "\ufeff"

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_NOT_ALL_SENT = 2


@dataclass(frozen=True)
class Row:
    line: int
    message: ProvisioningMessage


@dataclass(frozen=True)
class RowError:
    line: int
    error: str


@dataclass
class RowResult:
    line: int
    username: str
    action: str
    status: str  # "sent" or "failed"
    message_id: str = ""
    error: str = ""


# --- reading and validating ---------------------------------------------------------------------------
def _split(cell: str) -> list[str]:
    return [item.strip() for item in cell.split(LIST_SEPARATOR) if item.strip()]


def csv_record_to_data(record: dict[str, str]) -> dict[str, Any]:
    """A CSV row as a message: known columns are fields, every other non-empty column an attribute."""
    data: dict[str, Any] = {"action": "upsert"}
    attributes: dict[str, str] = {}
    for column, raw in record.items():
        value = raw.strip()
        name = column.strip()
        if not value or not name:
            continue
        if name in ("groups", "remove_groups"):
            data[name] = _split(value)
        elif name in _MESSAGE_FIELDS:
            data[name] = value
        else:
            attributes[name] = value
    if attributes:
        data["attributes"] = attributes
    return data


class UnreadableFileError(ValueError):
    """The file cannot be read for certain from this line on: nothing after it is read."""


def _csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(first line, cells) of every non-blank CSV record, read by the csv module in strict mode; raises
    UnreadableFileError (with the line) where the quoting is broken, a cell spans lines or is too long."""
    raw: list[str] = []  # the physical lines of the record being read

    def lines() -> Iterator[str]:
        for line in io.StringIO(text, newline=""):
            raw.append(line)
            yield line

    reader = csv.reader(lines(), strict=True)
    previous = csv.field_size_limit(CELL_LIMIT)
    try:
        first = 1
        while True:
            raw.clear()
            try:
                cells = next(reader)
            except StopIteration:
                return
            except csv.Error as exc:
                raise UnreadableFileError(first, _csv_reason(str(exc), first, reader.line_num)) from None
            if any("\n" in cell or "\r" in cell for cell in cells):
                raise UnreadableFileError(
                    first,
                    f"a quoted cell runs over lines {first}-{reader.line_num} (a quote not closed?); "
                    "a cell cannot hold a line break",
                )
            _check_quotes(cells, "".join(raw), first)
            if cells:
                yield first, cells
            first = reader.line_num + 1
    finally:
        csv.field_size_limit(previous)


def _csv_reason(error: str, first: int, last: int) -> str:
    """The csv module's error, said in terms of the file."""
    if "field larger than field limit" in error:
        return f"a cell is longer than {CELL_LIMIT} characters (an attribute value is at most 2048)"
    if "unexpected end of data" in error:
        return "a quoted cell is not closed before the end of the file" + (
            f" (line {last})" if last > first else ""
        )
    if last > first:
        return (
            f"a quoted cell runs over lines {first}-{last} (a quote not closed?); a cell cannot hold a "
            "line break"
        )
    if "expected after" in error:
        return (
            f"text after the closing quote of a cell (line {last}): a quote inside a quoted cell is "
            'written twice ("")'
        )
    return f"{error} (line {last})"


def _check_quotes(cells: list[str], raw: str, line: int) -> None:
    """Refuse a quote inside a cell that is not quoted (`Alice"`), which the csv module keeps as text: a
    cell may hold a quote only when it is quoted and the quote doubled: `"Dwayne ""The Rock"" Doe"`."""
    for number, cell in enumerate(cells, start=1):
        if '"' in cell and '"' + cell.replace('"', '""') + '"' not in raw:
            raise UnreadableFileError(
                line,
                f'a quote (") in cell {number} that is not quoted: quote the whole cell and write the quote '
                'twice ("...""...")',
            )


def _csv_records(text: str) -> Iterator[tuple[int, Any]]:
    rows = _csv_rows(text)
    try:
        header_line, header = next(rows)
    except StopIteration:
        return
    names = [name.strip() for name in header]
    seen: dict[str, int] = {}
    for column, name in enumerate(names, start=1):
        if name and name in seen:
            raise UnreadableFileError(
                header_line, f"column {name!r} is in the header twice (columns {seen[name]} and {column})"
            )
        seen[name] = column
    for line, cells in rows:
        if len(cells) > len(names):
            yield line, ValueError("the row has more cells than the header has columns")
            continue
        unnamed = [
            number
            for number, (name, cell) in enumerate(zip(names, cells, strict=False), 1)
            if cell.strip() and not name
        ]
        if unnamed:
            yield line, ValueError(f"cell {unnamed[0]} has a value but its column has no name in the header")
            continue
        yield (
            line,
            csv_record_to_data(dict(zip(names, cells + [""] * (len(names) - len(cells)), strict=True))),
        )


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise ValueError(f"key {key!r} is in an object twice")
        found[key] = value
    return found


def _json_records(text: str) -> Iterator[tuple[int, Any]]:
    # lines end at "\n" only (a JSON string may hold U+2028 and the like, which str.splitlines splits at)
    for number, line in enumerate(io.StringIO(text, newline=""), start=1):
        if not line.strip():
            continue
        length = len(line.rstrip("\r\n"))
        if length > LINE_LIMIT:
            yield number, ValueError(f"the line is {length} characters long; a row is at most {LINE_LIMIT}")
            continue
        try:
            yield number, json.loads(line, object_pairs_hook=_unique_keys)
        except json.JSONDecodeError as exc:
            yield number, ValueError(f"invalid JSON: {exc.msg} at column {exc.colno}")
        except ValueError as exc:
            yield number, exc


def _records(text: str, fmt: str) -> Iterator[tuple[int, Any]]:
    """(line number, decoded row or an exception) for every non-blank row; UnreadableFileError ends it."""
    return _csv_records(text) if fmt == "csv" else _json_records(text)


def detect_format(path: str, explicit: str | None) -> str:
    if explicit:
        return explicit
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        return "csv"
    if suffix in (".jsonl", ".ndjson", ".json"):
        return "jsonl"
    raise ValueError(f"cannot tell the format of {path!r}: use --format csv or --format jsonl")


def validate_rows(text: str, fmt: str) -> tuple[list[Row], list[RowError]]:
    """Every row checked against the schema; a username on two rows is an error too (a standard queue
    does not keep order, so two messages for one user could be applied in either order)."""
    rows: list[Row] = []
    errors: list[RowError] = []
    seen: dict[str, int] = {}
    records = _records(text, fmt)
    while True:
        try:
            line, data = next(records)
        except StopIteration:
            break
        except UnreadableFileError as exc:
            line, reason = exc.args
            errors.append(RowError(line, f"{reason}; the rest of the file was not read"))
            break
        if isinstance(data, Exception):
            errors.append(RowError(line, str(data)))
            continue
        try:
            message = validate_input(data)
        except InvalidMessageError as exc:
            errors.append(RowError(line, exc.reason))
            continue
        key = message.username.lower()
        if key in seen:
            errors.append(RowError(line, f"username {message.username!r} is also on line {seen[key]}"))
            continue
        seen[key] = line
        rows.append(Row(line, message))
    if not rows and not errors:
        errors.append(RowError(0, "the file has no rows"))
    return rows, errors


# --- progress -----------------------------------------------------------------------------------------
class Progress:
    """Progress on a stream (stderr), drawn by rich: a live bar on a terminal; in a pipe or a log file, no
    redrawing (no carriage return, no escape code), only the final count as one line when it closes."""

    def __init__(self, label: str, total: int | None, stream: TextIO) -> None:
        console = Console(file=stream, highlight=False)
        columns: tuple[ProgressColumn, ...] = (
            (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn())
            if total
            else (TextColumn("{task.description} {task.completed}"), TimeElapsedColumn())
        )
        # a refresh thread only where something is redrawn
        self._bar = RichProgress(*columns, console=console, auto_refresh=console.is_terminal)
        self._task = self._bar.add_task(label, total=total)
        self._bar.start()

    def advance(self, count: int) -> None:
        self._bar.advance(self._task, count)

    def close(self) -> None:
        self._bar.stop()


# --- sending ------------------------------------------------------------------------------------------
def _send_batch(
    sqs: SQSClient,
    queue_url: str,
    entries: dict[str, SendMessageBatchRequestEntryTypeDef],
    sleep: Callable[[float], None],
) -> tuple[dict[str, str], dict[str, str]]:
    """Send entries (by id), retrying the ones SQS failed for its own reasons; (sent ids, failed ids)."""
    sent: dict[str, str] = {}
    failed: dict[str, str] = {}
    pending = dict(entries)
    for attempt in range(_SEND_ATTEMPTS):
        if not pending:
            break
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=list(pending.values()))
        for ok in response.get("Successful", []):
            sent[ok["Id"]] = ok["MessageId"]
            pending.pop(ok["Id"], None)
        retry: dict[str, SendMessageBatchRequestEntryTypeDef] = {}
        for bad in response.get("Failed", []):
            entry = pending.pop(bad["Id"], None)
            if entry is None:
                continue
            if bad.get("SenderFault"):
                failed[bad["Id"]] = f"{bad.get('Code', '')}: {bad.get('Message', '')}".strip(": ")
            else:
                retry[bad["Id"]] = entry
                failed[bad["Id"]] = f"{bad.get('Code', '')} after {attempt + 1} attempts"
        pending = retry
        if pending:
            sleep(0.2 * 2**attempt)
    for entry_id in sent:
        failed.pop(entry_id, None)
    return sent, failed


def send_rows(
    sqs: SQSClient,
    queue_url: str,
    rows: Sequence[Row],
    progress: Progress,
    sleep: Callable[[float], None] = time.sleep,
) -> list[RowResult]:
    results: list[RowResult] = []
    for start in range(0, len(rows), BATCH):
        chunk = rows[start : start + BATCH]
        # the messages' order (issued_at): the time of sending, in microseconds since the epoch
        issued_at = time.time_ns() // 1000
        entries: dict[str, SendMessageBatchRequestEntryTypeDef] = {
            str(row.line): {
                "Id": str(row.line),
                "MessageBody": json.dumps(row.message.stamped(issued_at).to_body(), separators=(",", ":")),
            }
            for row in chunk
        }
        try:
            sent, failed = _send_batch(sqs, queue_url, entries, sleep)
        except Exception as exc:  # noqa: BLE001 - a failed batch is reported per row; the rest still go
            sent, failed = {}, {key: type(exc).__name__ + ": " + str(exc) for key in entries}
        for row in chunk:
            key = str(row.line)
            if key in sent:
                results.append(
                    RowResult(row.line, row.message.username, row.message.action, "sent", sent[key])
                )
            else:
                error = failed.get(key, "not sent")
                results.append(
                    RowResult(row.line, row.message.username, row.message.action, "failed", error=error)
                )
        progress.advance(len(chunk))
    return results


# --- redrive ------------------------------------------------------------------------------------------
@dataclass
class RedriveResult:
    moved: int = 0
    failed: int = 0


def _sendable(value: MessageAttributeValueOutputTypeDef) -> MessageAttributeValueTypeDef:
    """A received message attribute as it can be sent again (DataType, StringValue, BinaryValue)."""
    sendable: MessageAttributeValueTypeDef = {"DataType": value["DataType"]}
    if "StringValue" in value:
        sendable["StringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        sendable["BinaryValue"] = value["BinaryValue"]
    return sendable


def redrive(
    sqs: SQSClient,
    dead_letter_queue_url: str,
    queue_url: str,
    progress: Progress,
    *,
    max_messages: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> RedriveResult:
    """Move messages from the dead-letter queue back to the queue (each deleted only once it is sent)."""
    result = RedriveResult()
    empty = 0
    while max_messages is None or result.moved + result.failed < max_messages:
        want = BATCH if max_messages is None else min(BATCH, max_messages - result.moved - result.failed)
        messages = sqs.receive_message(
            QueueUrl=dead_letter_queue_url,
            MaxNumberOfMessages=want,
            MessageAttributeNames=["All"],
            WaitTimeSeconds=1,
            VisibilityTimeout=60,
        ).get("Messages", [])
        if not messages:
            empty += 1
            if empty >= 2:
                break
            continue
        empty = 0
        entries: dict[str, SendMessageBatchRequestEntryTypeDef] = {}
        for index, message in enumerate(messages):
            entry: SendMessageBatchRequestEntryTypeDef = {"Id": str(index), "MessageBody": message["Body"]}
            kept = {
                name: value
                for name, value in message.get("MessageAttributes", {}).items()
                if name not in FAILURE_ATTRIBUTES
            }
            if kept:
                entry["MessageAttributes"] = {name: _sendable(value) for name, value in kept.items()}
            entries[str(index)] = entry
        sent, failed = _send_batch(sqs, queue_url, entries, sleep)
        done = [messages[int(key)] for key in sent]
        if done:
            sqs.delete_message_batch(
                QueueUrl=dead_letter_queue_url,
                Entries=[{"Id": str(i), "ReceiptHandle": m["ReceiptHandle"]} for i, m in enumerate(done)],
            )
        result.moved += len(done)
        result.failed += len(failed)
        progress.advance(len(messages))
    return result


# --- the command --------------------------------------------------------------------------------------
def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m tools.producer",
        description="Send users to the provisioning queue, or move dead-lettered messages back.",
    )
    sub = parser.add_subparsers(dest="command", required=True)
    send = sub.add_parser("send", help="validate a CSV or JSON Lines file, then send one message per row")
    send.add_argument("file", help="users file (.csv, .jsonl); '-' reads stdin (give --format)")
    target = send.add_mutually_exclusive_group(required=True)
    target.add_argument("--queue-url")
    target.add_argument(
        "--stack",
        help="a cognito-automation stack: its ProvisioningQueueUrl and ProvisioningKeyArn outputs",
    )
    send.add_argument(
        "--key-id",
        help="KMS key (ARN or alias) that encrypts temporary passwords: the stack's ProvisioningKeyArn",
    )
    send.add_argument("--format", choices=("csv", "jsonl"))
    send.add_argument("--dry-run", action="store_true", help="validate only")
    send.add_argument("--json", action="store_true", help="print results as JSON")
    move = sub.add_parser("redrive", help="move dead-lettered messages back to the queue")
    move.add_argument("--dlq-url")
    move.add_argument("--queue-url")
    move.add_argument(
        "--stack", help="a cognito-automation stack: use its queue and dead-letter queue outputs"
    )
    move.add_argument("--max", type=int, default=None, help="move at most this many messages")
    move.add_argument("--json", action="store_true", help="print the result as JSON")
    return parser


def _print_results(results: list[RowResult], out: TextIO, as_json: bool) -> None:
    sent = sum(r.status == "sent" for r in results)
    if as_json:
        out.write(
            json.dumps({"sent": sent, "failed": len(results) - sent, "rows": [asdict(r) for r in results]})
            + "\n"
        )
        return
    for r in results:
        detail = r.message_id if r.status == "sent" else r.error
        out.write(f"line {r.line}\t{r.action}\t{r.username}\t{r.status}\t{detail}\n")
    out.write(f"{sent} sent, {len(results) - sent} failed\n")


def _print_errors(errors: list[RowError], out: TextIO, as_json: bool) -> None:
    if as_json:
        out.write(json.dumps({"sent": 0, "errors": [asdict(e) for e in errors]}) + "\n")
        return
    for e in errors:
        out.write(f"line {e.line}: {e.error}\n")
    out.write(f"{len(errors)} invalid row(s); nothing was sent\n")


def _sqs_client(err: TextIO) -> SQSClient | None:
    """boto3's SQS client (standard retries), or None with the reason on stderr."""
    from botocore.exceptions import BotoCoreError  # noqa: PLC0415 - boto3 only once the input is fine

    from cognito_automation import aws  # noqa: PLC0415

    try:
        return aws.client(aws.SQS, read_timeout=30.0, max_attempts=4)
    except BotoCoreError as exc:
        err.write(f"error: {exc} (set AWS_REGION, and AWS_ENDPOINT_URL for the local stack)\n")
        return None


QUEUE_OUTPUT = "ProvisioningQueueUrl"
DEAD_LETTER_QUEUE_OUTPUT = "ProvisioningDeadLetterQueueUrl"
KEY_OUTPUT = "ProvisioningKeyArn"


def stack_outputs(cloudformation: CloudFormationClient, stack_name: str) -> dict[str, str]:
    """The outputs of a deployed stack; ValueError naming the stack when it cannot be read."""
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415

    try:
        stacks = cloudformation.describe_stacks(StackName=stack_name)["Stacks"]
    except (BotoCoreError, ClientError) as exc:
        raise ValueError(f"cannot read the outputs of stack {stack_name!r}: {exc}") from exc
    return {o["OutputKey"]: o["OutputValue"] for s in stacks for o in s.get("Outputs") or []}


def _resolve_queues(args: argparse.Namespace, err: TextIO, names: Sequence[str]) -> bool:
    """Fill in args.queue_url (and args.dlq_url) from --stack; False with the reason on stderr."""
    if not args.stack:
        return True
    from botocore.exceptions import BotoCoreError  # noqa: PLC0415 - boto3 only once the input is fine

    from cognito_automation import aws  # noqa: PLC0415

    try:
        outputs = stack_outputs(aws.client(aws.CLOUDFORMATION, read_timeout=30.0, max_attempts=4), args.stack)
    except (ValueError, BotoCoreError) as exc:
        err.write(f"error: {exc}\n")
        return False
    missing = [name for name in names if not outputs.get(name)]
    if missing:
        err.write(
            f"error: stack {args.stack!r} has no output {', '.join(missing)}; "
            "is it a cognito-automation stack?\n"
        )
        return False
    args.queue_url = outputs[QUEUE_OUTPUT]
    if DEAD_LETTER_QUEUE_OUTPUT in names:
        args.dlq_url = outputs[DEAD_LETTER_QUEUE_OUTPUT]
    if KEY_OUTPUT in names:
        args.key_id = outputs[KEY_OUTPUT]
    return True


def seal_rows(
    rows: Sequence[Row], key_id: str | None, kms: KmsClient | None, err: TextIO
) -> list[Row] | None:
    """Every row with its temporary password encrypted for its user; None, with the reason on stderr, when
    a row has one but no key is given or KMS refuses (then nothing is sent)."""
    clear = [row.line for row in rows if row.message.temporary_password is not None]
    if not clear:
        return list(rows)
    if not key_id:
        err.write(
            f"error: line(s) {', '.join(map(str, clear))} carry a {PLAINTEXT_FIELD}: give --key-id (the "
            f"stack's {KEY_OUTPUT} output) or --stack, so that it is encrypted; nothing was sent\n"
        )
        return None
    from botocore.exceptions import BotoCoreError, ClientError  # noqa: PLC0415 - boto3 only once the input is fine

    from cognito_automation import aws  # noqa: PLC0415

    key = PasswordKey(kms or aws.client(aws.KMS, read_timeout=30.0, max_attempts=4), key_id)
    sealed: list[Row] = []
    for row in rows:
        try:
            sealed.append(Row(row.line, row.message.sealed(key)))
        except (BotoCoreError, ClientError) as exc:
            err.write(f"error: line {row.line}: cannot encrypt the {PLAINTEXT_FIELD} with {key_id}: {exc}; ")
            err.write("nothing was sent\n")
            return None
    return sealed


def _redrive_command(args: argparse.Namespace, sqs: SQSClient | None, out: TextIO, err: TextIO) -> int:
    if args.stack and (args.dlq_url or args.queue_url):
        err.write("error: give either --stack or --dlq-url and --queue-url\n")
        return EXIT_INVALID
    if not args.stack and not (args.dlq_url and args.queue_url):
        err.write("error: give --stack, or both --dlq-url and --queue-url\n")
        return EXIT_INVALID
    if not _resolve_queues(args, err, (QUEUE_OUTPUT, DEAD_LETTER_QUEUE_OUTPUT)):
        return EXIT_INVALID
    sqs = sqs or _sqs_client(err)
    if sqs is None:
        return EXIT_INVALID
    progress = Progress("redriving", None, err)
    moved = redrive(sqs, args.dlq_url, args.queue_url, progress, max_messages=args.max)
    progress.close()
    if args.json:
        out.write(json.dumps(asdict(moved)) + "\n")
    else:
        out.write(f"{moved.moved} moved back, {moved.failed} failed\n")
    return EXIT_OK if moved.failed == 0 else EXIT_NOT_ALL_SENT


def _ready_rows(
    args: argparse.Namespace, rows: list[Row], kms: KmsClient | None, err: TextIO
) -> list[Row] | None:
    """The rows to send, passwords encrypted, with args.queue_url filled in; None, the reason on stderr."""
    needs_key = any(row.message.temporary_password is not None for row in rows) and not args.key_id
    if not _resolve_queues(args, err, (QUEUE_OUTPUT, KEY_OUTPUT) if needs_key else (QUEUE_OUTPUT,)):
        return None
    return seal_rows(rows, args.key_id, kms, err)


@dataclass(frozen=True)
class Clients:
    """The clients a caller gives (tests); those left None are made from the environment when needed."""

    sqs: SQSClient | None = None
    kms: KmsClient | None = None


def _read(file: str, stdin: TextIO) -> str:
    """The file's text (UTF-8; a byte-order mark, which spreadsheet programs write, is not part of it)."""
    if file == "-":
        return stdin.read().removeprefix(BYTE_ORDER_MARK)
    data = Path(file).read_bytes()
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ValueError(
            f"{file}: line {line} is not UTF-8 (byte 0x{data[exc.start]:02x}): save the file as UTF-8 "
            '(a spreadsheet\'s "CSV UTF-8"); nothing was sent'
        ) from None
    return text.removeprefix(BYTE_ORDER_MARK)


def _send_command(args: argparse.Namespace, clients: Clients, stdin: TextIO, out: TextIO, err: TextIO) -> int:
    try:
        fmt = detect_format(args.file, args.format)
        text = _read(args.file, stdin)
    except (ValueError, OSError) as exc:
        err.write(f"error: {exc}\n")
        return EXIT_INVALID
    rows, errors = validate_rows(text, fmt)
    if errors:
        _print_errors(errors, out, args.json)
        return EXIT_INVALID
    if args.dry_run:
        out.write(json.dumps({"valid": len(rows)}) + "\n" if args.json else f"{len(rows)} valid row(s)\n")
        return EXIT_OK
    ready = _ready_rows(args, rows, clients.kms, err)
    if ready is None:
        return EXIT_INVALID
    sqs = clients.sqs or _sqs_client(err)
    if sqs is None:
        return EXIT_INVALID
    progress = Progress("sending", len(rows), err)
    results = send_rows(sqs, args.queue_url, ready, progress)
    progress.close()
    _print_results(results, out, args.json)
    return EXIT_OK if all(r.status == "sent" for r in results) else EXIT_NOT_ALL_SENT


def main(
    argv: Sequence[str] | None = None,
    *,
    sqs: SQSClient | None = None,
    kms: KmsClient | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Exit status: 0 all done, 1 invalid input (nothing sent), 2 some rows or messages not sent."""
    args = _parser().parse_args(argv)
    out = stdout or sys.stdout
    err = stderr or sys.stderr
    if args.command == "redrive":
        return _redrive_command(args, sqs, out, err)
    return _send_command(args, Clients(sqs, kms), stdin or sys.stdin, out, err)


if __name__ == "__main__":
    raise SystemExit(main())
