"""The documentation: the site builds with warnings as errors, the tutorial's code runs,
every public function, class and method has a docstring with an Examples section, and
the error table is read correctly from the source."""

import functools
import importlib
import inspect
import pathlib
import re
import subprocess
import sys

import pytest

import gmmvc

ROOT = pathlib.Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PACKAGE = pathlib.Path(gmmvc.__file__).resolve().parent

#: Public objects still without an Examples section, as "module.name" or
#: "module.Class.method". Shrink this list; never grow it: a new public function, class
#: or method comes with a runnable example.
KNOWN_MISSING_EXAMPLES: set[str] = set()


def _needs(module: str) -> None:
    pytest.importorskip(module, reason=f"{module} is not installed (pip install -e '.[test]')")


def _public_modules() -> list[str]:
    return sorted(p.stem for p in PACKAGE.glob("*.py") if not p.stem.startswith("_"))


@pytest.fixture(scope="module")
def gmmvc_docs():
    """The docs' Sphinx extension (docs/_ext/gmmvc_docs.py), which needs Sphinx."""
    _needs("sphinx")
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        return importlib.import_module("gmmvc_docs")
    finally:
        sys.path.remove(str(DOCS / "_ext"))


# --------------------------------------------------------------------------- the site


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    for module in ("sphinx", "numpydoc", "myst_parser"):
        _needs(module)
    out = tmp_path_factory.mktemp("site")
    build = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",  # warnings are errors
            "--keep-going",  # ... but report all of them
            "-E",
            "-q",
            "-b",
            "html",
            "-d",
            str(out / "doctrees"),
            str(DOCS),
            str(out / "html"),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    assert build.returncode == 0, f"sphinx failed:\n{build.stderr}\n{build.stdout}"
    return out / "html"


def test_site_has_every_page(site):
    pages = [
        "index",
        "getting-started",
        "tutorial",
        "theory",
        "api/index",
        "benchmarks",
        "roundtrip",
        "errors",
    ]
    for page in pages:
        assert (site / f"{page}.html").is_file(), page


def test_api_reference_documents_every_public_module_and_export(site):
    pages = {p.stem for p in (DOCS / "api").glob("*.rst")}
    index = (site / "api" / "index.html").read_text(encoding="utf-8")
    for module in _public_modules():
        html = (site / "api" / f"{module}.html") if module in pages else None
        text = html.read_text(encoding="utf-8") if html else index
        # automodule writes an anchor for the module itself
        assert f'id="module-gmmvc.{module}"' in text, module
    for name, module in gmmvc._EXPORTS.items():
        page = site / "api" / f"{module}.html"
        text = page.read_text(encoding="utf-8") if page.exists() else index
        assert f'id="gmmvc.{module}.{name}"' in text, f"gmmvc.{module}.{name} is not documented"


def test_theory_page_has_the_equations(site):
    text = (site / "theory.html").read_text(encoding="utf-8")
    for needle in ("W^\\top \\bar D_{\\hat m}^{-1} W", "\\omega = \\frac{1}{2T}", "Toda"):
        assert needle in text, needle


def test_error_table_lists_errors_from_the_source(site):
    text = (site / "errors.html").read_text(encoding="utf-8")
    assert "JointGMM.fit" in text and "NotFittedError" in text and "ConvergenceWarning" in text
    assert 'id="errors-alignment"' in text


# --------------------------------------------------------------------------- the tutorial


def _python_blocks(page: pathlib.Path) -> list[str]:
    return re.findall(r"^```python\n(.*?)^```", page.read_text(encoding="utf-8"), re.M | re.S)


def test_tutorial_code_runs_in_order(tmp_path, monkeypatch):
    _needs("matplotlib")
    monkeypatch.setenv("MPLBACKEND", "Agg")
    monkeypatch.chdir(tmp_path)
    blocks = _python_blocks(DOCS / "tutorial.md")
    assert len(blocks) >= 5
    namespace: dict = {"__name__": "tutorial"}
    for i, block in enumerate(blocks):
        exec(compile(block, f"docs/tutorial.md, python block {i + 1}", "exec"), namespace)
    assert (tmp_path / "converted.wav").is_file()
    results = namespace["results"]
    assert all(r.after.mcd_db < r.before.mcd_db for r in results)
    import matplotlib.pyplot as plt

    plt.close("all")


def test_error_page_code_runs(capsys):
    for block in _python_blocks(DOCS / "errors.md"):
        exec(compile(block, "docs/errors.md", "exec"), {})
    assert capsys.readouterr().out.startswith("skipped: x and y: expected the same feature dim")


# --------------------------------------------------------------------------- docstrings


def _public_objects():
    for module_name in _public_modules():
        module = importlib.import_module(f"gmmvc.{module_name}")
        for name in getattr(module, "__all__", []):
            obj = getattr(module, name)
            if inspect.isfunction(obj) or inspect.isclass(obj):
                yield f"{module_name}.{name}", obj


def _methods_of(cls):
    """Public methods defined on ``cls`` itself (plain, class and static), not properties."""
    for name, attr in vars(cls).items():
        if name.startswith("_"):
            continue
        if isinstance(attr, (classmethod, staticmethod)):
            attr = attr.__func__
        if inspect.isfunction(attr):  # leaves out property, cached_property, constants
            yield name, attr


def _public_methods():
    for name, obj in _public_objects():
        if inspect.isclass(obj):
            for method_name, method in _methods_of(obj):
                yield f"{name}.{method_name}", method


def _documented():
    yield from _public_objects()
    yield from _public_methods()


def _has_examples(obj) -> bool:
    return re.search(r"^Examples\n-{3,}\n", inspect.getdoc(obj) or "", re.M) is not None


def test_every_public_function_class_and_method_has_a_docstring():
    missing = [name for name, obj in _documented() if not (inspect.getdoc(obj) or "").strip()]
    assert not missing, f"public objects without a docstring: {missing}"


def test_no_new_public_function_class_or_method_lacks_an_example():
    missing = {name for name, obj in _documented() if not _has_examples(obj)}
    new = sorted(missing - KNOWN_MISSING_EXAMPLES)
    assert not new, (
        f"these public objects have no numpydoc 'Examples' section: {new}; add a short "
        "runnable example (it runs as a doctest)"
    )


def test_known_missing_examples_are_still_missing():
    # an entry whose object gained an example (or is gone) must leave the list
    missing = {name for name, obj in _documented() if not _has_examples(obj)}
    stale = sorted(KNOWN_MISSING_EXAMPLES - missing)
    assert not stale, f"remove these from KNOWN_MISSING_EXAMPLES: {stale}"


def test_method_finder_takes_methods_defined_on_the_class_only():
    class Base:
        def inherited(self):
            pass

    class Demo(Base):
        limit = 3

        def plain(self):
            pass

        @classmethod
        def build(cls):
            pass

        @staticmethod
        def helper():
            pass

        def _private(self):
            pass

        @property
        def size(self):
            return 1

        @functools.cached_property
        def table(self):
            return {}

    assert sorted(name for name, _ in _methods_of(Demo)) == ["build", "helper", "plain"]
    found = {name for name, _ in _public_methods()}
    assert {
        "gmm.JointGMM.fit",
        "model.ConversionModel.load",
        "pipeline.VoiceConverter.fit",
    } <= found
    # properties are documented with their class, not as methods
    assert "model.ConversionModel.fs" not in found
    assert "model.ConversionModel.difference_gmm" not in found


# --------------------------------------------------------------------------- the extension


def test_error_collector_reads_conditions_messages_and_helpers(gmmvc_docs, tmp_path):
    source = tmp_path / "demo.py"
    source.write_text(
        "import warnings\n"
        "def _check(x):\n"
        "    if x < 0:\n"
        "        raise ParameterError(f'x: expected >= 0, got {x}')\n"
        "def public(x):\n"
        "    _check(x)\n"
        "    try:\n"
        "        pass\n"
        "    except KeyError:\n"
        "        raise GmmvcError('no key')\n"
        "    warnings.warn('slow', ConvergenceWarning, stacklevel=2)\n"
        "class Thing:\n"
        "    def __post_init__(self):\n"
        "        raise ValueError('not ours')\n"
    )
    rows = gmmvc_docs.collect_errors(source)
    summary = [(r.function, r.exception, r.condition, r.message_text, who) for r, who in rows]
    assert summary == [
        ("_check", "ParameterError", "x < 0", "x: expected >= 0, got {x}", ["public"]),
        ("public", "GmmvcError", "KeyError raised", "no key", ["public"]),
        ("public", "ConvergenceWarning", "", "slow", ["public"]),
    ]


def test_error_collector_finds_the_librarys_errors(gmmvc_docs):
    rows = gmmvc_docs.collect_errors(gmmvc_docs.PACKAGE / "gmm.py")
    found = {(r.function, r.exception) for r, _ in rows}
    assert ("JointGMM._check_fitted", "NotFittedError") in found
    assert ("JointGMM.fit", "ConvergenceWarning") in found
    helper = next(who for r, who in rows if r.function == "_cholesky")
    assert "conditional_parameters" in helper


def test_modules_are_ordered_by_data_flow(gmmvc_docs):
    order = gmmvc_docs.order_modules(["pipeline", "zeta", "analysis", "alpha", "config"])
    assert order == ["config", "analysis", "pipeline", "alpha", "zeta"]
    assert sorted(gmmvc_docs.public_modules()) == _public_modules()
    assert gmmvc_docs.PACKAGE == PACKAGE
