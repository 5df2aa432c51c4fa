"""Model code names state-dict keys without the checkpoint converters."""
import os
import subprocess
import sys

from mmft.utils import show_keys
from tests.helpers import ROOT


def test_show_keys_names_the_first_and_counts_the_rest():
    assert show_keys(['a', 'b', 'c'], 2) == "'a', 'b' (and 1 more)"
    assert show_keys(['a']) == "'a'"
    assert show_keys([]) == '(none)'


def test_importing_the_models_imports_no_converter():
    code = ('import sys\n'
            'import mmft.models, mmft.engine\n'
            "print(sorted(m for m in sys.modules\n"
            "             if m.startswith('mmft.utils.convert')))\n")
    out = subprocess.run([sys.executable, '-c', code],
                         cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=ROOT),
                         text=True,
                         capture_output=True,
                         check=True).stdout
    assert out.strip().splitlines()[-1] == '[]'
