"""The in-process Lambda runtime: execution environments and their modules."""

from __future__ import annotations

import io
import sys
import zipfile
from pathlib import Path

import pytest

from local.awslambda import runtime as runtime_module
from local.awslambda.runtime import CodeTooLargeError, FunctionCode, FunctionRuntime


def _zip(**files: str) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buffer.getvalue()


def test_code_over_lambdas_unzipped_quota_is_refused_and_nothing_is_unpacked(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Lambda's CodeSizeUnzipped quota, for a function's code and its layers together
    assert runtime_module.MAX_UNZIPPED_BYTES == 262_144_000
    monkeypatch.setattr(runtime_module, "MAX_UNZIPPED_BYTES", 1000)
    runtime = FunctionRuntime(region="us-east-1", account_id="123456789012", process_env={})
    runtime.code_cache = tmp_path / "cache"
    # Given code of 600 bytes and a layer of 600 (each under the quota, not together), compressed small
    code, layer = _zip(**{"app.py": "#" * 600}), _zip(**{"python/lib.py": "#" * 600})
    # When the runtime meets them, Then it refuses them, naming the sizes, and unpacks nothing
    with pytest.raises(
        CodeTooLargeError,
        match=r"must be smaller than 1000 bytes \(the function's code and its layers are 1200\)",
    ):
        runtime.unpacked("big", lambda: (code, (layer,)))
    assert not runtime.code_cache.exists()
    assert "big" not in runtime.codes
    # And code within the quota is unpacked
    runtime.unpacked("small", lambda: (code, ()))
    assert (runtime.codes["small"].code_dir / "app.py").read_text() == "#" * 600


def test_a_retired_execution_environment_is_unloaded(tmp_path: Path):
    # Given a function invoked once with one configuration
    (tmp_path / "app.py").write_text("def lambda_handler(event, context):\n    return event\n")
    runtime = FunctionRuntime(region="us-east-1", account_id="123456789012", process_env={})
    runtime.register("code", FunctionCode(tmp_path))

    def invoke(environment: dict[str, str]) -> None:
        result = runtime.invoke(
            code_key="code",
            function_name="fn",
            function_arn="arn:aws:lambda:us-east-1:123456789012:function:fn",
            handler="app.lambda_handler",
            environment=environment,
            timeout_s=3,
            memory_mb=128,
            event={},
        )
        assert not result.failed

    def loaded() -> set[str]:
        return {name for name in sys.modules if name.startswith("_local_fn_fn_")}

    invoke({"SETTING": "a"})
    first = loaded()
    # When its configuration changes (its environment is retired), then the runtime closes
    invoke({"SETTING": "b"})
    second = loaded()
    runtime.close()
    # Then the retired environment's module was dropped, and on close every module is
    assert len(first) == 1
    assert len(second) == 1
    assert first != second
    assert loaded() == set()
