"""jionlp, imported once and quietly: its import prints a banner to stdout, which would corrupt the
JSON that `govqa … --json` prints."""

from __future__ import annotations

import contextlib
import functools
import io
from types import ModuleType


@functools.cache
def jionlp() -> ModuleType:
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
        import jionlp as module
    return module
