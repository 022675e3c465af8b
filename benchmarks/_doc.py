"""Write one benchmark's section of a markdown page, leaving the rest of the page as it is."""

from __future__ import annotations

import os
import pathlib
import re
import tempfile


def write_section(path: pathlib.Path, name: str, text: str) -> None:
    """Replace the text between lines ``<!-- name:start -->`` and ``<!-- name:end -->`` of ``path``.

    The markers are appended (with ``text``) when the page does not have them yet.
    The page is written atomically: a reader never sees half a page.
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    page = path.read_text() if path.exists() else ""
    block = f"{start}\n{text.rstrip()}\n{end}"
    # markers count only on a line of their own, so prose may mention them
    found = re.search(rf"^{re.escape(start)}$.*?^{re.escape(end)}$", page, re.M | re.S)
    if found:
        page = page[: found.start()] + block + page[found.end() :]
    else:
        page = page.rstrip() + ("\n\n" if page else "") + block + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(page)
    os.replace(tmp, path)
