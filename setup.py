"""Install mmft. ``pip install -e .`` for development."""
import os
import os.path as osp
from setuptools import find_packages, setup
from setuptools.command.build_py import build_py

# Installed as mmft-config-scope.pth: site-packages runs its `import` line at
# interpreter start (the repository keeps no file named *.pth).
PTH_SOURCE = 'mmft_config_scope.pth.in'
PTH = 'mmft-config-scope.pth'

HERE = osp.dirname(osp.abspath(__file__))


def read_requirements(name: str) -> list:
    with open(osp.join(HERE, 'requirements', name)) as f:
        return [
            line.strip() for line in f
            if line.strip() and not line.startswith('#')
        ]


# mmcv-lite provides `mmcv` without compiled ops (mmpretrain needs none). It
# is an extra, not a requirement: a user who already has full mmcv keeps it
# (`pip install mmft`), everyone else takes `pip install "mmft[lite]"`. A
# check at build time could not tell, as pip builds in an isolated env.
MMCV_LITE = ['mmcv-lite>=2.0.0,<2.4.0']
# ONNX export and its onnxruntime check (tools/deployment/pytorch2onnx.py),
# also in `tests`: CI installs `.[tests]`, and the ONNX tests run there.
DEPLOY = read_requirements('deploy.txt')


def version() -> str:
    scope = {}
    with open(osp.join(HERE, 'mmft', 'version.py')) as f:
        exec(f.read(), scope)
    return scope['__version__']


def mim_files() -> list:
    """Configs ship inside the package (mmft/.mim/configs, a link to
    configs/) so that `_base_ = ['mmft::cotuning/r50_cub.py']` resolves."""
    root = osp.join(HERE, 'mmft', '.mim')
    return [
        osp.relpath(osp.join(d, f), osp.join(HERE, 'mmft'))
        for d, _, files in os.walk(root, followlinks=True) for f in files
        if f.endswith(('.py', '.md', '.yml', '.json'))
    ]


class BuildPyWithPth(build_py):
    """Also put the start-up file that enables ``mmft::`` config paths
    (see mmft_config_scope.py) at the top of site-packages."""

    def run(self) -> None:
        super().run()
        self.copy_file(
            osp.join(HERE, PTH_SOURCE), osp.join(self.build_lib, PTH))
        if getattr(self, 'editable_mode', False):
            # An editable wheel takes only what lands in its unpacked folder.
            wheel_dir = self.get_finalized_command('install').install_lib
            self.copy_file(
                osp.join(HERE, PTH_SOURCE), osp.join(wheel_dir, PTH))

    def get_outputs(self, include_bytecode: bool = True) -> list:
        return super().get_outputs(include_bytecode) + [
            osp.join(self.build_lib, PTH)
        ]


setup(
    name='mmft',
    version=version(),
    description='Fine-tuning methods (Co-tuning, Bi-tuning, unsupervised '
    'finetuning) for OpenMMLab',
    long_description=open(osp.join(HERE, 'README.md')).read(),
    long_description_content_type='text/markdown',
    python_requires='>=3.8',
    packages=find_packages(include=['mmft', 'mmft.*']),
    py_modules=['mmft_config_scope'],
    cmdclass={'build_py': BuildPyWithPth},
    package_data={'mmft': mim_files()},
    include_package_data=False,
    install_requires=read_requirements('runtime.txt'),
    extras_require={
        'lite': MMCV_LITE,
        'deploy': DEPLOY,
        'tests': read_requirements('tests.txt') + DEPLOY + MMCV_LITE,
    },
    license='Apache License 2.0',
    zip_safe=False,
)
