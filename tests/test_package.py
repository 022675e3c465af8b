import subprocess
import sys

import gmmvc


def test_every_export_resolves_to_its_module():
    for name, module in gmmvc._EXPORTS.items():
        obj = getattr(gmmvc, name)
        assert obj is getattr(__import__(f"gmmvc.{module}", fromlist=[name]), name)


def test_import_pulls_no_plotting_or_heavy_libraries():
    code = (
        "import sys, gmmvc; "
        "print(sorted(m for m in ('matplotlib', 'sklearn', 'librosa') if m in sys.modules))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_python_m_gmmvc_help_exits_zero():
    out = subprocess.run([sys.executable, "-m", "gmmvc", "--help"], capture_output=True, text=True)
    assert out.returncode == 0
    assert "demo" in out.stdout


def test_usage_error_exits_two():
    out = subprocess.run(
        [sys.executable, "-m", "gmmvc", "nonsense"], capture_output=True, text=True
    )
    assert out.returncode == 2
