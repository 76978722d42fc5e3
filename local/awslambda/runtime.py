"""Python Lambda functions run in this process, from their code directory and layer directories.

Each function's handler module is loaded by file path under a name unique to the function, with the
function's environment applied while it imports (so settings read at cold start see it), and kept
loaded between invocations like a warm Lambda execution environment.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import io
import itertools
import json
import logging
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
import uuid
import zipfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

log = logging.getLogger("local.awslambda.runtime")

# One import at a time: the environment is process-wide while a module imports.
_IMPORT_LOCK = threading.RLock()
_UNPACK_LOCK = threading.Lock()
# Where code archives are unpacked, by the SHA-256 of the archive (shared by runs: the content decides).
CODE_CACHE = Path(__file__).resolve().parents[2] / ".local" / "code"
# Lambda's quota on a function's code and layers once extracted (CodeSizeUnzipped): what it refuses is
# not unpacked here either, so an archive someone uploaded cannot fill the disk (zipfile extracts no
# more than each entry's stated size).
MAX_UNZIPPED_BYTES = 262_144_000


class CodeTooLargeError(Exception):
    """A function's code and layers, unzipped, over Lambda's quota."""


def unzipped_size(archive: bytes) -> int:
    with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
        return sum(entry.file_size for entry in zipped.infolist())


def unpack(archive: bytes, cache: Path) -> Path:
    """The directory the zip archive is unpacked into, `cache/<sha256 of the archive>/`, unpacked once."""
    directory = cache / hashlib.sha256(archive).hexdigest()
    if directory.is_dir():
        return directory
    cache.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{directory.name}.", dir=cache))
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as zipped:
            zipped.extractall(staging)
        try:
            staging.rename(directory)  # atomic: another process may have unpacked the same archive
        except OSError:
            if not directory.is_dir():
                raise
    finally:
        if staging.exists():
            shutil.rmtree(staging, ignore_errors=True)
    return directory


@dataclass(frozen=True)
class FunctionCode:
    """Where a function's code lives on this machine."""

    code_dir: Path
    layer_dirs: tuple[Path, ...] = ()


@dataclass
class LambdaContext:
    """The context object handlers receive (the attributes Powertools and our handlers use)."""

    function_name: str
    function_version: str
    invoked_function_arn: str
    memory_limit_in_mb: int
    aws_request_id: str
    log_group_name: str
    log_stream_name: str
    deadline: float

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


@dataclass
class Invocation:
    """The outcome of one invocation: the JSON payload and whether the function raised."""

    payload: bytes
    error: str | None = None
    duration_ms: float = 0.0

    @property
    def failed(self) -> bool:
        return self.error is not None

    def json(self) -> Any:
        return json.loads(self.payload) if self.payload else None


@dataclass
class _Loaded:
    module: ModuleType
    handler: Any
    env_key: str


@dataclass
class FunctionRuntime:
    """Loads and invokes functions; `codes` maps a function's code location key to its directories."""

    region: str
    account_id: str
    process_env: Mapping[str, str]
    codes: dict[str, FunctionCode] = field(default_factory=dict)
    code_cache: Path = CODE_CACHE
    # Idle execution environments per function: an environment runs one invocation at a time, as in
    # Lambda, so module-level state (a Powertools BatchProcessor, a rate limiter) is never shared by
    # two concurrent invocations. Concurrent invocations get environments of their own (cold starts).
    _idle: dict[str, list[_Loaded]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _environments: itertools.count[int] = field(default_factory=itertools.count)
    # handler module name -> function name, for every environment loaded (`function_of`)
    _modules: dict[str, str] = field(default_factory=dict)

    def unpacked(self, key: str, archives: Callable[[], tuple[bytes, Sequence[bytes]]]) -> None:
        """Make the code known under `key` (a function's code and layers) if it is not: `archives()` gives
        the function's zip and its layers' zips, each unpacked once into the content-addressed cache
        (`code_cache/<sha256>/`; a layer's `python/` directory is what goes on the path, as /opt/python)."""
        if key in self.codes:
            return
        with _UNPACK_LOCK:
            if key in self.codes:
                return
            code, layers = archives()
            size = sum(unzipped_size(archive) for archive in (code, *layers))
            if size > MAX_UNZIPPED_BYTES:
                raise CodeTooLargeError(
                    f"code {key}: unzipped size must be smaller than {MAX_UNZIPPED_BYTES} bytes "
                    f"(the function's code and its layers are {size})"
                )
            layer_dirs = []
            for archive in layers:
                directory = unpack(archive, self.code_cache)
                python_dir = directory / "python"
                layer_dirs.append(python_dir if python_dir.is_dir() else directory)
            self.register(key, FunctionCode(unpack(code, self.code_cache), tuple(layer_dirs)))

    def register(self, key: str, code: FunctionCode) -> None:
        self.codes[key] = code
        for layer in code.layer_dirs:
            # Layers are on sys.path in Lambda (/opt/python); here their directories are.
            if str(layer) not in sys.path:
                sys.path.append(str(layer))

    def function_of(self, module_name: str) -> str | None:
        """The function whose handler module has this name (None for any other module)."""
        return self._modules.get(module_name)

    def ensure_process_env(self) -> None:
        """The endpoint and fake credentials the functions' boto3 clients need (process-wide)."""
        for name, value in self.process_env.items():
            if os.environ.get(name) != value:
                os.environ[name] = value

    def invoke(
        self,
        *,
        code_key: str,
        function_name: str,
        function_arn: str,
        handler: str,
        environment: Mapping[str, str],
        timeout_s: float,
        memory_mb: int,
        event: Any,
    ) -> Invocation:
        self.ensure_process_env()
        started = time.monotonic()
        request_id = str(uuid.uuid4())
        environment_key = json.dumps(dict(environment), sort_keys=True) + handler
        loaded: _Loaded | None = None
        try:
            loaded = self._acquire(function_name, environment_key) or self._load(
                code_key=code_key,
                function_name=function_name,
                handler=handler,
                environment=environment,
                env_key=environment_key,
                timeout_s=timeout_s,
                memory_mb=memory_mb,
            )
            fn = loaded.handler
            context = LambdaContext(
                function_name=function_name,
                function_version="$LATEST",
                invoked_function_arn=function_arn,
                memory_limit_in_mb=memory_mb,
                aws_request_id=request_id,
                log_group_name=f"/aws/lambda/{function_name}",
                log_stream_name=f"local/[$LATEST]{request_id.replace('-', '')}",
                deadline=started + timeout_s,
            )
            result = fn(event, context)
            payload = json.dumps(result).encode()
            error = None
        except Exception as exc:  # noqa: BLE001 - a function's failure is its caller's result, as in Lambda
            error = type(exc).__name__
            payload = json.dumps(
                {
                    "errorMessage": str(exc),
                    "errorType": error,
                    "requestId": request_id,
                    "stackTrace": traceback.format_exception(exc)[-8:],
                }
            ).encode()
            log.warning("function %s failed: %s: %s", function_name, error, exc)
        if loaded is not None:
            with self._lock:
                self._idle.setdefault(function_name, []).append(loaded)
        duration_ms = (time.monotonic() - started) * 1000
        if error is None and duration_ms > timeout_s * 1000:
            error = "Sandbox.Timedout"
            payload = json.dumps(
                {"errorMessage": f"Task timed out after {timeout_s:.2f} seconds", "errorType": error}
            ).encode()
        return Invocation(payload=payload, error=error, duration_ms=duration_ms)

    def _acquire(self, function_name: str, env_key: str) -> _Loaded | None:
        """An idle warm environment of this function and configuration, if there is one."""
        with self._lock:
            idle = self._idle.get(function_name, [])
            # A configuration change retires the old environments, as a Lambda update does.
            _retire(e for e in idle if e.env_key != env_key)
            idle[:] = [e for e in idle if e.env_key == env_key]
            return idle.pop() if idle else None

    def close(self) -> None:
        """Retire every idle execution environment (the local stack is stopping)."""
        with self._lock:
            _retire(e for idle in self._idle.values() for e in idle)
            self._idle.clear()

    def _load(
        self,
        *,
        code_key: str,
        function_name: str,
        handler: str,
        environment: Mapping[str, str],
        env_key: str,
        timeout_s: float,
        memory_mb: int,
    ) -> _Loaded:
        """A cold start: a new execution environment with the handler module imported afresh."""
        code = self.codes.get(code_key)
        if code is None:
            raise RuntimeError(f"no local code for function {function_name} ({code_key})")
        module_file, _, attr = handler.rpartition(".")
        path = code.code_dir / (module_file.replace(".", "/") + ".py")
        module_name = f"_local_fn_{function_name.replace('-', '_')}_{next(self._environments)}"
        lambda_env = {
            # No X-Ray daemon here: Powertools' Tracer off unless the function's environment says otherwise.
            "POWERTOOLS_TRACE_DISABLED": "true",
            "AWS_XRAY_CONTEXT_MISSING": "IGNORE_ERROR",
            **environment,
            "AWS_LAMBDA_FUNCTION_NAME": function_name,
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
            "AWS_LAMBDA_FUNCTION_TIMEOUT": str(int(timeout_s)),
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "LAMBDA_TASK_ROOT": str(code.code_dir),
            "_HANDLER": handler,
        }
        with _IMPORT_LOCK, _environment(lambda_env), _on_sys_path(code.code_dir):
            spec = importlib.util.spec_from_file_location(module_name, path)
            if spec is None or spec.loader is None:
                raise RuntimeError(f"cannot load handler module {path}")
            module = importlib.util.module_from_spec(spec)
            sys.modules[module_name] = module
            self._modules[module_name] = function_name
            try:
                spec.loader.exec_module(module)
            except BaseException:
                sys.modules.pop(module_name, None)
                raise
        log.info("cold start of %s from %s", function_name, path)
        return _Loaded(module=module, handler=getattr(module, attr), env_key=env_key)


def _retire(environments: Iterable[_Loaded]) -> None:
    """Forget retired environments' handler modules, so that nothing keeps them loaded."""
    for environment in environments:
        if sys.modules.get(environment.module.__name__) is environment.module:
            del sys.modules[environment.module.__name__]


@contextlib.contextmanager
def _environment(values: Mapping[str, str]) -> Iterator[None]:
    saved = {name: os.environ.get(name) for name in values}
    os.environ.update({k: str(v) for k, v in values.items()})
    try:
        yield
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextlib.contextmanager
def _on_sys_path(directory: Path) -> Iterator[None]:
    """The code directory first on sys.path while the handler imports (its sibling modules)."""
    entry = str(directory)
    sys.path.insert(0, entry)
    try:
        yield
    finally:
        with contextlib.suppress(ValueError):
            sys.path.remove(entry)
