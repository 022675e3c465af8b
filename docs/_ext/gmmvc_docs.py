"""Sphinx directives that keep two pages of the gmmvc docs in step with the source.

``gmmvc-error-table``
    The error table: every ``raise GmmvcError/ParameterError/NotFittedError(...)``
    and every ``ConvergenceWarning`` in ``src/gmmvc``, read from the source with
    :mod:`ast` (nothing is imported), one table per module in data-flow order,
    with the function that raises, the condition (the ``if`` test around the
    ``raise``) and the message (placeholders shown as code).

``gmmvc-other-modules``
    An ``automodule`` section for every public gmmvc module that has no page of
    its own under ``docs/api/``, so a new module is documented from its first
    commit.

``gmmvc-exports``
    The names importable from ``gmmvc`` itself (its ``_EXPORTS`` map), by module,
    linked to their entries in the API reference.
"""

from __future__ import annotations

import ast
import pathlib
from dataclasses import dataclass

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.application import Sphinx
from sphinx.util.docutils import SphinxDirective
from sphinx.util.nodes import nested_parse_with_titles

PACKAGE = pathlib.Path(__file__).resolve().parents[2] / "src" / "gmmvc"
API_DIR = pathlib.Path(__file__).resolve().parents[1] / "api"

#: The modules in data-flow order (STYLE.md); others follow alphabetically.
MODULE_ORDER = (
    "exceptions",
    "_validation",
    "config",
    "audio",
    "analysis",
    "features",
    "deltas",
    "alignment",
    "gmm",
    "conversion",
    "synthesis",
    "metrics",
    "model",
    "stft",
    "datasets",
    "pipeline",
    "display",
    "cli",
)

ERRORS = ("GmmvcError", "ParameterError", "NotFittedError")
WARNING = "ConvergenceWarning"


@dataclass(frozen=True)
class ErrorRow:
    """One place in the source where an error or a ConvergenceWarning is raised."""

    function: str  # qualified name of the function that raises, e.g. "JointGMM.fit"
    exception: str
    condition: str  # source of the enclosing test, "" when unconditional
    message: list[tuple[str, bool]]  # (text, is_placeholder) pieces
    line: int

    @property
    def message_text(self) -> str:
        """The message with its placeholders in braces, as in the source."""
        return "".join(f"{{{t}}}" if code else t for t, code in self.message)


def public_modules() -> list[str]:
    """Public module names of the package (no leading underscore, no ``__main__``)."""
    names = [p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_")]
    return order_modules(names)


def order_modules(names: list[str]) -> list[str]:
    """Sort module names in data-flow order; unknown ones follow alphabetically."""
    known = [m for m in MODULE_ORDER if m in names]
    return known + sorted(set(names) - set(known))


def _message(node: ast.expr | None) -> list[tuple[str, bool]]:
    if node is None:
        return []
    if isinstance(node, ast.Constant):
        return [(str(node.value), False)]
    if isinstance(node, ast.JoinedStr):
        out: list[tuple[str, bool]] = []
        for part in node.values:
            if isinstance(part, ast.Constant):
                out.append((str(part.value), False))
            elif isinstance(part, ast.FormattedValue):
                out.append((ast.unparse(part.value), True))
        return out
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        return _message(node.left) + _message(node.right)
    return [(ast.unparse(node), True)]


class _Collector(ast.NodeVisitor):
    def __init__(self) -> None:
        self.scope: list[str] = []
        self.tests: list[str] = []
        self.rows: list[ErrorRow] = []
        self.calls: dict[str, set[str]] = {}  # function -> names it calls

    def _function(self, node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> None:
        self.scope.append(node.name)
        self.generic_visit(node)
        self.scope.pop()

    visit_FunctionDef = visit_AsyncFunctionDef = visit_ClassDef = _function

    def visit_If(self, node: ast.If) -> None:
        self.visit(node.test)
        test = ast.unparse(node.test)
        self.tests.append(test)
        for child in node.body:
            self.visit(child)
        self.tests[-1] = f"not ({test})"
        for child in node.orelse:
            self.visit(child)
        self.tests.pop()

    def visit_ExceptHandler(self, node: ast.ExceptHandler) -> None:
        caught = ast.unparse(node.type) if node.type is not None else "any exception"
        self.tests.append(f"{caught} raised")
        self.generic_visit(node)
        self.tests.pop()

    def _row(self, exception: str, message: ast.expr | None, line: int) -> None:
        self.rows.append(
            ErrorRow(
                function=".".join(self.scope) or "<module>",
                exception=exception,
                condition=self.tests[-1] if self.tests else "",
                message=_message(message),
                line=line,
            )
        )

    def visit_Raise(self, node: ast.Raise) -> None:
        exc = node.exc
        if isinstance(exc, ast.Call) and isinstance(exc.func, ast.Name) and exc.func.id in ERRORS:
            self._row(exc.func.id, exc.args[0] if exc.args else None, node.lineno)
        self.generic_visit(node)

    def visit_Call(self, node: ast.Call) -> None:
        func = node.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
        if name and self.scope:
            self.calls.setdefault(".".join(self.scope), set()).add(name)
        if ast.unparse(func) == "warnings.warn" and any(
            WARNING in ast.unparse(arg) for arg in [*node.args, *(k.value for k in node.keywords)]
        ):
            self._row(WARNING, node.args[0] if node.args else None, node.lineno)
        self.generic_visit(node)


def _is_private(qualname: str) -> bool:
    last = qualname.rsplit(".", 1)[-1]
    return last.startswith("_") and last != "__post_init__" or qualname.startswith("_")


def _public_name(qualname: str) -> str:
    if qualname.endswith(".__post_init__"):
        return qualname.rsplit(".", 1)[0] + "(...)"
    return qualname


def collect_errors(path: pathlib.Path) -> list[tuple[ErrorRow, list[str]]]:
    """List the errors raised in one module, each with the public functions that reach it.

    A private helper's errors are attributed to the public functions of the
    same module that call it, directly or through other helpers.
    """
    collector = _Collector()
    collector.visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))

    def callers(private: str) -> list[str]:
        short = private.rsplit(".", 1)[-1]
        found: set[str] = set()
        seen = {private}
        frontier = [short]
        while frontier:
            name = frontier.pop()
            for func, called in collector.calls.items():
                if name in called and func not in seen:
                    seen.add(func)
                    if _is_private(func):
                        frontier.append(func.rsplit(".", 1)[-1])
                    else:
                        found.add(_public_name(func))
        return sorted(found)

    out = []
    for row in collector.rows:
        if _is_private(row.function):
            out.append((row, callers(row.function)))
        else:
            out.append((row, [_public_name(row.function)]))
    return out


def _cell(*children: nodes.Node) -> nodes.entry:
    entry = nodes.entry()
    entry += nodes.paragraph("", "", *children)
    return entry


class ErrorTable(SphinxDirective):
    """``.. gmmvc-error-table::`` -- one table per module, in data-flow order."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Return a rubric and a table per module that raises anything."""
        out: list[nodes.Node] = []
        names = [p.stem for p in PACKAGE.glob("*.py") if p.stem != "__main__"]
        for module in order_modules(names):
            path = PACKAGE / f"{module}.py"
            self.env.note_dependency(str(path))
            rows = collect_errors(path)
            if not rows:
                continue
            title = f"gmmvc.{module}"
            doc = ast.get_docstring(ast.parse(path.read_text(encoding="utf-8")))
            summary = doc.strip().splitlines()[0] if doc else ""
            rubric = nodes.rubric("", "", nodes.literal("", title), nodes.Text(f" -- {summary}"))
            rubric["ids"].append(nodes.make_id(f"errors-{module}"))
            out.append(rubric)
            out.append(self._table(module, rows))
        return out

    def _table(self, module: str, rows: list[tuple[ErrorRow, list[str]]]) -> nodes.table:
        table = nodes.table(classes=["gmmvc-errors"])
        group = nodes.tgroup(cols=4)
        table += group
        for width in (20, 12, 26, 42):
            group += nodes.colspec(colwidth=width)
        head = nodes.thead()
        header = nodes.row()
        for text in ("Raised by", "Exception", "When", "Message"):
            header += _cell(nodes.Text(text))
        head += header
        group += head
        body = nodes.tbody()
        for row, public in rows:
            tr = nodes.row()
            if module == "_validation":
                raised_by: list[nodes.Node] = [nodes.Text("public functions checking their input")]
            else:
                raised_by = []
                for i, name in enumerate(public or ["(internal)"]):
                    if i:
                        raised_by.append(nodes.Text(", "))
                    raised_by.append(nodes.literal("", name))
                if _is_private(row.function):
                    raised_by += [nodes.Text(" via "), nodes.literal("", row.function)]
            tr += _cell(*raised_by)
            tr += _cell(nodes.Text(row.exception))
            tr += _cell(nodes.literal("", row.condition) if row.condition else nodes.Text("--"))
            pieces: list[nodes.Node] = [
                nodes.literal("", text) if code else nodes.Text(text) for text, code in row.message
            ]
            tr += _cell(*(pieces or [nodes.Text("--")]))
            body += tr
        group += body
        return table


class OtherModules(SphinxDirective):
    """``.. gmmvc-other-modules::`` -- automodule sections for modules without an API page."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Return an automodule section per public module without a page."""
        self.env.note_dependency(str(PACKAGE))
        pages = {p.stem for p in API_DIR.glob("*.rst")} | {p.stem for p in API_DIR.glob("*.md")}
        missing = [m for m in public_modules() if m not in pages]
        lines: list[str] = []
        for module in missing:
            title = f"``gmmvc.{module}``"
            lines += [
                title,
                "-" * len(title),
                "",
                f".. automodule:: gmmvc.{module}",
                "   :members:",
                "",
            ]
        if not lines:
            return []
        container = nodes.section()
        container.document = self.state.document
        content = StringList(lines, source="<gmmvc-other-modules>")
        nested_parse_with_titles(self.state, content, container)
        return list(container.children)


class Exports(SphinxDirective):
    """``.. gmmvc-exports::`` -- the package-level names, grouped by module."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        """Return a bullet list of the exported names per module."""
        import gmmvc

        self.env.note_dependency(str(PACKAGE / "__init__.py"))
        by_module: dict[str, list[str]] = {}
        for name, module in gmmvc._EXPORTS.items():
            by_module.setdefault(module, []).append(name)
        exceptions = ["GmmvcError", "ParameterError", "NotFittedError", "ConvergenceWarning"]
        by_module = {"exceptions": exceptions, **by_module}
        lines = []
        for module in order_modules(list(by_module)):
            refs = ", ".join(f":py:obj:`~gmmvc.{module}.{name}`" for name in by_module[module])
            lines.append(f"* :doc:`{module}`: {refs}")
        container = nodes.section()
        container.document = self.state.document
        self.state.nested_parse(StringList(lines, source="<gmmvc-exports>"), 0, container)
        return list(container.children)


def setup(app: Sphinx) -> dict[str, object]:
    """Register the directives (Sphinx extension entry point)."""
    app.add_directive("gmmvc-error-table", ErrorTable)
    app.add_directive("gmmvc-other-modules", OtherModules)
    app.add_directive("gmmvc-exports", Exports)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
