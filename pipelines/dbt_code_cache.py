"""The Python code dbt generates at run time, compiled once per project (issue #17).

Each dbt process generates Python source and compiles it, the same way every run:

- Jinja turns every template dbt renders into Python: the SQL of each node, and
  each macro file the node calls (materializations, tests, the adapter's macros).
  On a no-change night that was about an eighth of the dbt process's thread time
  (py-spy, small org), in the Python dbt's threads take turns to run. dbt sets up
  no cache for it (Jinja's own bytecode caches only serve templates from a loader;
  dbt builds every template from a string).
- mashumaro writes the (de)serialisers of dbt's ~400 dataclasses while dbt is
  imported, and compiles each one: about 0.5 s of every dbt process's start-up.
- dbt builds the JSON schema of its settings' dataclasses (project, profile,
  credentials, flags) to validate them, from their type hints: about 0.7 s more
  (both on a machine where importing dbt took 3.4 s).

`keep_generated_code` keeps the compiled code in one file in the project's target
folder (`target/.trustgap_code`), keyed by everything the code depends on: the
generated text (for Jinja: the template's text and name, the environment's syntax
settings, extensions and filter and test names; for a schema: the class and its
fields), Python's version and every installed package's (a changed install is an
empty cache). Changed text is a new key, so the file can only miss, never serve
stale code. It is read once when a dbt process starts and rewritten, atomically, when a
process that compiled something new ends; a missing, unreadable or foreign file
is an empty cache. Running the code (rendering a node's SQL, building a class's
serialisers) still happens every run.
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import hashlib
import importlib.util
import json
import marshal
import os
import re
import sys
from collections.abc import Callable
from pathlib import Path
from types import CodeType
from typing import Any

CACHE_NAME = ".trustgap_code"
# A build, the docs and the unit tests together compile about 2,500 pieces of code;
# past this the file is rewritten with the last run's only.
MAX_ENTRIES = 20_000
# mashumaro's modules that exec the code they generate.
SERIALISER_BUILDERS = (
    "mashumaro.core.meta.code.builder",
    "mashumaro.core.meta.types.common",
    "mashumaro.core.meta.types.pack",
    "mashumaro.core.meta.types.unpack",
)
# Some of mashumaro's helpers are named with a fresh uuid each run (union unpackers):
# code naming one is compiled as usual, or every run would add to the file.
FRESH_NAME = re.compile(r"_[0-9a-f]{32}\b")


class CodeCache:
    """Compiled code by key, read from and written back to one file."""

    def __init__(self, path: Path, *, version: str) -> None:
        self.path = path
        self.version = version
        self.stored: dict[str, bytes] = self._read()
        self.used: dict[str, bytes] = {}
        self.compiled = 0

    def _read(self) -> dict[str, bytes]:
        try:
            version, entries = marshal.loads(self.path.read_bytes())
        except (OSError, EOFError, ValueError, TypeError):
            return {}
        return entries if version == self.version and isinstance(entries, dict) else {}

    def get(self, key: str, kind: type = CodeType) -> Any:
        """The value stored under `key` if it is a `kind`, else None."""
        # mashumaro compiles some snippets hundreds of times in one process.
        data = self.used.get(key) or self.stored.get(key)
        if data is None:
            return None
        try:
            value = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return None
        self.used[key] = data
        return value if isinstance(value, kind) else None

    def put(self, key: str, value: Any) -> None:
        try:
            self.used[key] = marshal.dumps(value)
        except ValueError:
            return  # holds something marshal cannot write (an enum in a schema): not kept
        self.compiled += 1

    def code(self, key: str, compile: Callable[[], CodeType]) -> CodeType:
        """The code stored under `key`, else `compile()`'s, stored for the next run."""
        code = self.get(key)
        if code is None:
            code = compile()
            self.put(key, code)
        return code

    def save(self) -> bool:
        """Write back what this run compiled (with what other runs added meanwhile)."""
        if not self.compiled:
            return False
        merged = {**self._read(), **self.used}
        if len(merged) > MAX_ENTRIES:
            merged = dict(self.used)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            pending = self.path.with_name(f"{self.path.name}.{os.getpid()}.tmp")
            pending.write_bytes(marshal.dumps((self.version, merged)))
            os.replace(pending, self.path)
        except OSError:
            # A cache: a read-only project folder costs the next run its compile time.
            return False
        return True


def cache_version() -> str:
    """What cached code depends on beyond its text: Python and the installed packages.

    The names of the `*.dist-info` folders carry every installed package's version
    (Jinja, dbt, its adapter, mashumaro); reading them costs one directory listing.
    """
    installed = sorted(
        name
        for folder in {p for p in sys.path if p.endswith("site-packages") and os.path.isdir(p)}
        for name in os.listdir(folder)
        if name.endswith(".dist-info")
    )
    digest = hashlib.blake2b("\n".join(installed).encode(), digest_size=16).hexdigest()
    return f"python {sys.version_info[:3]} {importlib.util.MAGIC_NUMBER.hex()} packages {digest}"


def code_key(settings: tuple, source: str) -> str:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr(settings).encode())
    digest.update(b"\0")
    digest.update(source.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def environment_key(env) -> tuple:
    """The settings of a Jinja environment that change the code it generates."""
    return (
        type(env).__module__ + "." + type(env).__qualname__,
        env.code_generator_class.__module__ + "." + env.code_generator_class.__qualname__,
        tuple(sorted(env.extensions)),
        env.block_start_string,
        env.block_end_string,
        env.variable_start_string,
        env.variable_end_string,
        env.comment_start_string,
        env.comment_end_string,
        env.line_statement_prefix,
        env.line_comment_prefix,
        env.trim_blocks,
        env.lstrip_blocks,
        env.newline_sequence,
        env.keep_trailing_newline,
        env.optimized,
        env.is_async,
        repr(env.autoescape) if not callable(env.autoescape) else id(env.autoescape),
        env.finalize is not None,
        # An unknown filter or test outside a condition fails at compile time.
        tuple(sorted(env.filters)),
        tuple(sorted(env.tests)),
    )


def project_dir(argv: list[str]) -> Path:
    """The dbt project a command runs: --project-dir, DBT_PROJECT_DIR, or the cwd."""
    for position, arg in enumerate(argv):
        if arg == "--project-dir" and position + 1 < len(argv):
            return Path(argv[position + 1])
        if arg.startswith("--project-dir="):
            return Path(arg.split("=", 1)[1])
    return Path(os.environ.get("DBT_PROJECT_DIR") or os.getcwd())


def keep_generated_code(project: Path) -> CodeCache | None:
    """Serve Jinja's and mashumaro's compiles from `project`/target/.trustgap_code.

    Call it before dbt is imported: mashumaro compiles while dbt's modules load.
    Returns the cache, or None when nothing was changed (no dbt project there).
    Once dbt is imported, `keep_json_schemas` serves dbt's schemas from it too.
    """
    if not (project / "dbt_project.yml").exists():
        return None
    cache = CodeCache(project / "target" / CACHE_NAME, version=cache_version())
    served = [keep_compiled_templates(cache), keep_compiled_serialisers(cache)]
    if not any(served):
        return None
    atexit.register(cache.save)
    return cache


def keep_compiled_templates(cache: CodeCache) -> bool:
    """Jinja's compile of a template from a string, through `cache`.

    Returns whether Jinja was changed: not with dbt's macro debugging on (it wants
    Jinja's generated source), nor a second time in one process.
    """
    import jinja2

    if os.environ.get("DBT_MACRO_DEBUGGING"):
        return False
    original = jinja2.Environment.compile
    if getattr(original, "trustgap_cached", False):
        return False

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        if raw or not isinstance(source, str):
            return original(self, source, name, filename, raw, defer_init)
        key = code_key(("jinja", environment_key(self), name, filename, defer_init), source)
        return cache.code(key, lambda: original(self, source, name, filename, raw, defer_init))

    compile.trustgap_cached = True  # type: ignore[attr-defined]
    jinja2.Environment.compile = compile
    return True


def keep_compiled_serialisers(cache: CodeCache) -> bool:
    """mashumaro's exec of the source it generates, compiled through `cache`.

    Returns whether mashumaro was changed: not when one of its modules already has
    an `exec` of its own (not the mashumaro this was written for), nor twice.
    """
    modules = [importlib.import_module(name) for name in SERIALISER_BUILDERS]
    if any("exec" in vars(module) for module in modules):
        return False

    def cached_exec(source, globals=None, locals=None):
        if not isinstance(source, str) or FRESH_NAME.search(source):
            return exec(source, globals, locals)
        key = code_key(("mashumaro",), source)
        code = cache.code(key, lambda: compile(source, "<string>", "exec"))
        return exec(code, globals, locals)

    for module in modules:
        module.exec = cached_exec  # a module global comes before the builtin
    return True


def keep_json_schemas(cache: CodeCache) -> bool:
    """dbt's JSON schemas of its dataclasses, built once and kept in `cache`.

    Returns whether dbt was changed: not when `json_schema` is not the cached
    classmethod this was written for, nor a second time in one process.
    """
    from dbt_common.dataclass_schema import dbtClassMixin

    original = vars(dbtClassMixin).get("json_schema")
    build = getattr(original, "__func__", None)
    if build is None or not hasattr(build, "cache_clear"):
        return False  # not the dbt this was written for
    if getattr(build, "trustgap_cached", False):
        return False  # replaced already (a second call in one process)

    @functools.lru_cache
    def json_schema(cls) -> dict:
        fields = tuple(getattr(cls, "__dataclass_fields__", ()))
        key = code_key(("json_schema", cls.__module__, cls.__qualname__, fields), "")
        schema = cache.get(key, dict)
        if schema is None:
            schema = build(cls)
            # A JSON schema is JSON: enum members among its values are their strings.
            # One that is not after all is built again next run.
            with contextlib.suppress(TypeError, ValueError):
                cache.put(key, json.loads(json.dumps(schema)))
        return schema

    json_schema.trustgap_cached = True  # type: ignore[attr-defined]
    dbtClassMixin.json_schema = classmethod(json_schema)
    return True
