"""A config that moved fails naming where it went (configs/moved.json), and
every config path the Markdown files write exists."""
import fnmatch
import glob
import json
import os
import os.path as osp
import re

import pytest
from mmengine.config import Config

from tests.helpers import ROOT

CONFIGS = osp.join(ROOT, 'configs')
with open(osp.join(CONFIGS, 'moved.json')) as _f:
    MOVED = json.load(_f)


def test_the_table_names_gone_files_and_their_existing_places():
    assert len(MOVED) >= 40
    for old, new in MOVED.items():
        assert not osp.exists(osp.join(CONFIGS, old)), old
        target = re.match(r'[\w/.]+\.py', new)[0]
        assert osp.isfile(osp.join(CONFIGS, target)), (old, new)


@pytest.mark.parametrize('base,message', [
    ('mmft::demo/erm_effnetlite0_digits.py',
     r'demo/erm_effnetlite0_digits.py has moved: use '
     r'erm/effnetlite0_digits.py \(`mmft::erm/effnetlite0_digits.py`'),
    (osp.join(CONFIGS, '_base_', 'models', 'resnet50_bituning.py'),
     'has moved: use _base_/methods/bituning.py, a delta on a plain '
     'fine-tuning config'),
    ('mmft::uft/mocov2_r50_pets_sdr_mix.py',
     'use uft/r50_mocov2_pets_sdr_mix'),
])
def test_a_moved_base_names_its_new_place(tmp_path, base, message):
    child = tmp_path / 'downstream.py'
    child.write_text(f'_base_ = [{base!r}]\n')
    with pytest.raises(FileNotFoundError, match=message):
        Config.fromfile(str(child))


def test_a_moved_leaf_and_a_missing_one(tmp_path):
    with pytest.raises(FileNotFoundError, match='use cotuning_bituning/r50'):
        Config.fromfile(osp.join(CONFIGS, 'bituning', 'r50_cotuning_cub.py'))
    child = tmp_path / 'downstream.py'  # not moved: mmengine's own message
    child.write_text("_base_ = ['mmft::nothing/here.py']\n")
    with pytest.raises(FileNotFoundError, match='does not exist'):
        Config.fromfile(str(child))


def _expand(token: str) -> list:
    """``a_{x,y}_b.py`` -> ``[a_x_b.py, a_y_b.py]`` (one level of braces)."""
    match = re.search(r'\{([^{}]*)\}', token)
    if not match:
        return [token]
    return [
        expanded for part in match[1].split(',')
        for expanded in _expand(token[:match.start()] + part +
                                token[match.end():])
    ]


#: How a leaf's name begins (configs/README.md's legend).
BACKBONES = ('r50', 'effnetlite0', 'vitb16', 'swint', 'convnextt', '{')
DOCS = sorted(
    glob.glob(osp.join(ROOT, '*.md')) +
    glob.glob(osp.join(ROOT, 'docs', '*.md')) +
    glob.glob(osp.join(CONFIGS, '**', '*.md'), recursive=True))


@pytest.mark.parametrize('doc', DOCS, ids=lambda p: osp.relpath(p, ROOT))
def test_every_config_path_in_the_docs_exists(doc):
    """Inside backticks, anywhere in a Markdown file: ``configs/...py``,
    ``<method>/<name>.py`` of a configs folder, and (in a configs README)
    a bare leaf name (``r50_cub.py``) of its folder or one that has moved
    (``configs/moved.json``); braces and ``*`` expand."""
    text = open(doc).read()
    here = osp.dirname(doc)
    methods = {
        d
        for d in os.listdir(CONFIGS) if osp.isdir(osp.join(CONFIGS, d))
    }
    missing = []
    for span in re.findall(r'`([^`\n]+)`', text):
        for token in re.findall(r'[\w./{},*-]+\.py\b', span):
            if token.startswith(('tools/', 'tests/', 'mmft/', 'benchmarks/',
                                 'setup', 'mmft_', '.')):
                continue
            for path in _expand(token):
                name = path
                if name.startswith('configs/'):
                    root, name = ROOT, name
                elif name.split('/')[0] in methods or name.startswith('../'):
                    root, name = CONFIGS, name.replace('../', '')
                elif '/' not in name and here.startswith(CONFIGS + '/'):
                    root = here  # a leaf of the README's own folder
                    folder = osp.relpath(here, CONFIGS)
                    if fnmatch.filter(MOVED, f'{folder}/{name}'):
                        missing.append(path)  # a name that has moved
                        continue
                    if not name.startswith(BACKBONES):
                        continue  # a module or script, not a leaf
                else:
                    continue
                if not glob.glob(osp.join(root, name)):
                    missing.append(path)
    assert missing == [], f'{osp.relpath(doc, ROOT)} names {missing}'
