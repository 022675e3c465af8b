"""Write one benchmark's section of a markdown page, leaving the rest of the page as it is."""

from __future__ import annotations

import os
import pathlib
import tempfile


def write_section(path: pathlib.Path, name: str, text: str) -> None:
    """Replace the text between ``<!-- name:start -->`` and ``<!-- name:end -->`` in ``path``.

    The markers are appended (with ``text``) when the page does not have them yet.
    The page is written atomically: a reader never sees half a page.
    """
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    page = path.read_text() if path.exists() else ""
    block = f"{start}\n{text.rstrip()}\n{end}"
    if start in page and end in page:
        head, rest = page.split(start, 1)
        _, tail = rest.split(end, 1)
        page = head + block + tail
    else:
        page = page.rstrip() + ("\n\n" if page else "") + block + "\n"
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(page)
    os.replace(tmp, path)
