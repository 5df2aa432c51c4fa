"""The tree is clean under mmpretrain's lint set (setup.cfg holds the
settings, .pre-commit-config.yaml runs the same tools before a commit)."""
import shutil
import subprocess
import sys

import pytest

from tests.helpers import ROOT

pytestmark = pytest.mark.slow

PATHS = [
    'mmft', 'tools', 'tests', 'benchmarks', 'configs', 'setup.py',
    'mmft_config_scope.py'
]


@pytest.mark.parametrize('tool,argv', [
    ('flake8', []),
    ('isort', ['--check-only', '--diff']),
    ('yapf', ['--diff', '--recursive']),
])
def test_tree_is_clean(tool, argv):
    if shutil.which(tool) is None:
        pytest.skip(f'{tool} is not installed (requirements/tests.txt)')
    proc = subprocess.run([sys.executable, '-m', tool, *argv, *PATHS],
                          cwd=ROOT,
                          capture_output=True,
                          text=True)
    assert proc.returncode == 0, (
        f'{tool} finds problems (run pre-commit run --all-files):\n' +
        (proc.stdout + proc.stderr)[-3000:])
