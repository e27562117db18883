"""dbt's Jinja templates compiled once per project, not once per run (issue #17).

Each dbt run turns every template it renders into Python code from scratch: the
SQL of each node, and each macro file it calls (materializations, tests, the
adapter's macros). Jinja parses the template, generates Python source and compiles
that; on a no-change night that was about an eighth of the dbt process's thread
time (py-spy, small org), in the Python dbt's threads take turns to run. dbt
configures no cache for it (Jinja's own bytecode caches only serve templates from
a loader; dbt builds every template from a string).

`keep_compiled_templates` keeps the compiled code in one file in the project's
target folder, keyed by everything the code depends on: the template's text, its
name, the environment's syntax settings, extensions and filter and test names,
and the Jinja, dbt and Python versions. A changed template is a new key, so the
file can only miss, never serve stale code. The file is read once when a run
starts and rewritten, atomically, when a run that compiled something new ends; a
missing, unreadable or foreign file is an empty cache. Rendering (what a template
does with a node's context) still happens every run.
"""

from __future__ import annotations

import atexit
import hashlib
import importlib.util
import marshal
import os
import sys
from pathlib import Path
from types import CodeType

CACHE_NAME = ".trustgap_jinja_code"
# The union of several commands' templates (build, docs, unit tests) is about 1,500;
# past this the file is rewritten with the last run's templates only.
MAX_ENTRIES = 20_000


class CompiledTemplates:
    """Compiled template code by key, read from and written back to one file."""

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

    def get(self, key: str) -> CodeType | None:
        data = self.stored.get(key)
        if data is None:
            return None
        try:
            code = marshal.loads(data)
        except (EOFError, ValueError, TypeError):
            return None
        self.used[key] = data
        return code if isinstance(code, CodeType) else None

    def put(self, key: str, code: CodeType) -> None:
        self.used[key] = marshal.dumps(code)
        self.compiled += 1

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
    """What compiled code depends on beyond the template: Python, Jinja and dbt."""
    import jinja2
    from dbt.version import __version__ as dbt_version

    magic = importlib.util.MAGIC_NUMBER.hex()
    return f"python {sys.version_info[:3]} {magic} jinja2 {jinja2.__version__} dbt {dbt_version}"


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


def template_key(env, source: str, name, filename, defer_init: bool) -> str:
    digest = hashlib.blake2b(digest_size=20)
    digest.update(repr((environment_key(env), name, filename, defer_init)).encode())
    digest.update(b"\0")
    digest.update(source.encode("utf-8", "surrogatepass"))
    return digest.hexdigest()


def project_dir(argv: list[str]) -> Path:
    """The dbt project a command runs: --project-dir, DBT_PROJECT_DIR, or the cwd."""
    for position, arg in enumerate(argv):
        if arg == "--project-dir" and position + 1 < len(argv):
            return Path(argv[position + 1])
        if arg.startswith("--project-dir="):
            return Path(arg.split("=", 1)[1])
    return Path(os.environ.get("DBT_PROJECT_DIR") or os.getcwd())


def keep_compiled_templates(project: Path) -> CompiledTemplates | None:
    """Serve dbt's Jinja compiles from `project`/target/.trustgap_jinja_code.

    Returns the cache, or None when nothing was changed: no dbt project there, dbt's
    macro debugging on (it wants Jinja's generated source), or already done.
    """
    import dbt_common.clients.jinja as dbt_jinja
    import jinja2

    if not (project / "dbt_project.yml").exists() or dbt_jinja.MACRO_DEBUGGING:
        return None
    original = jinja2.Environment.compile
    if getattr(original, "trustgap_cached", False):
        return None  # replaced already (a second call in one process)
    cache = CompiledTemplates(project / "target" / CACHE_NAME, version=cache_version())

    def compile(self, source, name=None, filename=None, raw=False, defer_init=False):
        if raw or not isinstance(source, str):
            return original(self, source, name, filename, raw, defer_init)
        key = template_key(self, source, name, filename, defer_init)
        code = cache.get(key)
        if code is None:
            code = original(self, source, name, filename, raw, defer_init)
            cache.put(key, code)
        return code

    compile.trustgap_cached = True  # type: ignore[attr-defined]
    jinja2.Environment.compile = compile
    atexit.register(cache.save)
    return cache
