"""ERM, Co-tuning, Bi-tuning (and UFT) on tiny ViT, Swin and ConvNeXt.

The tiny backbones (``tests/configs/tiny_{vit,swin,convnext}.py``) have the
settings of the shipped ViT-B/16, Swin-T and ConvNeXt-T configs. Their
"pretrained" checkpoints are tiny torchvision and timm ImageNet-style
classifiers of ``NUM_SOURCE`` classes, converted by the converters of
``tools/model_converters`` (ViT and Swin through the tools, with ``meta``;
ConvNeXt as a bare state dict), so every Co-tuning run below also checks the
converter -> Co-tuning path: the source head is found without a
``source_prefix`` and equals the converted classifier. Each method trains a
few iterations through a real Runner, resumes to the same final state as an
uninterrupted run, and tests.
"""
import copy
import os.path as osp

import pytest
import timm
import torch
import torch.nn.functional as F
import torchvision
from mmengine.config import Config
from mmengine.dataset import default_collate
from mmengine.registry import init_default_scope
from mmengine.runner import Runner
from mmpretrain.utils import get_ori_model
from torchvision.models.convnext import CNBlockConfig

from mmft.registry import DATASETS, MODELS
from mmft.utils.convert import classifier_prefix, convert, model_settings
from tests.helpers import (NUM_CLASSES, NUM_SOURCE, ROOT, load, make_dataset,
                           make_image_folder)
from tests.test_tools.test_backbone_converters import EXPECTED, load_tool

ARCHS = ('vit', 'swin', 'convnext')
# the layer-decay schedule of the shipped configs, on a tiny budget
SCHEDULE = osp.join(ROOT, 'configs', '_base_', 'schedules',
                    'layerdecay_adamw_coslr_10k.py')


def tiny_source_model(arch: str) -> torch.nn.Module:
    """A tiny ImageNet-style classifier of the source library, random but
    with confident, varied outputs."""
    torch.manual_seed(0)
    if arch == 'vit':
        model = torchvision.models.VisionTransformer(
            image_size=32,
            patch_size=8,
            num_layers=2,
            num_heads=2,
            hidden_dim=32,
            mlp_dim=64,
            num_classes=NUM_SOURCE)
    elif arch == 'swin':
        model = timm.models.SwinTransformer(
            img_size=32,
            patch_size=2,
            embed_dim=16,
            depths=(2, 2, 2, 2),
            num_heads=(1, 1, 2, 2),
            window_size=2,
            num_classes=NUM_SOURCE)
    else:
        model = torchvision.models.ConvNeXt([
            CNBlockConfig(8, 16, 1),
            CNBlockConfig(16, 32, 1),
            CNBlockConfig(32, 64, 1),
            CNBlockConfig(64, None, 1)
        ],
                                            num_classes=NUM_SOURCE)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * 0.2)
        classifier = [
            m for m in model.modules() if isinstance(m, torch.nn.Linear)
        ][-1]
        classifier.weight.normal_(0, 1)
    return model


def make_source(arch: str, folder: str) -> str:
    """Convert the tiny source model of ``arch``; return the checkpoint."""
    src = osp.join(folder, f'{arch}_source.pth')
    dst = osp.join(folder, f'{arch}_mm.pth')
    state_dict = tiny_source_model(arch).state_dict()
    torch.save(state_dict, src)
    if arch == 'vit':
        load_tool('torchvision_to_mmpretrain').main([src, dst])
    elif arch == 'swin':
        load_tool('timm_to_mmpretrain').main([src, dst])
    else:  # no meta: the head finds the classifier by its prefix
        torch.save(dict(state_dict=convert(state_dict, 'torchvision')), dst)
    return dst


def make_data(folder: str) -> dict:
    """The tiny labelled dataset (with the UFT replay source beside it)
    and one converted source checkpoint per architecture."""
    root = make_dataset(osp.join(folder, 'data'))
    make_image_folder(osp.join(root, 'source'), (5, 5, 5, 5), seed=7)
    return dict(root=root, **{a: make_source(a, folder) for a in ARCHS})


@pytest.fixture(scope='module')
def data(tmp_path_factory) -> dict:
    return make_data(str(tmp_path_factory.mktemp('new_backbones')))


def tiny_backbone(arch: str) -> Config:
    return Config.fromfile(
        osp.join(ROOT, 'tests', 'configs', f'tiny_{arch}.py'))


def method_cfg(method: str, arch: str, data: dict, work_dir: str) -> Config:
    """A tiny config of ``method`` on the tiny backbone of ``arch``: the
    labelled methods with the shipped layer-decay AdamW schedule (2 warm-up
    and 2 cosine iterations), UFT with its SGD schedule as shipped."""
    cfg = Config.fromfile(
        osp.join(ROOT, 'tests', 'configs', f'tiny_{method}.py'))
    tiny = tiny_backbone(arch)
    source, root = data[arch], data['root']
    model = cfg.model
    model.backbone = copy.deepcopy(tiny.backbone)
    dim = tiny.feat_dim
    if method == 'uft':
        model.init_cfg.checkpoint = source
        model.neck.update(in_channels=dim, with_avg_pool=tiny.neck is not None)
        model.shuffle_bn = False  # LayerNorm models
        for dataset in cfg.train_dataloader.dataset.datasets:
            dataset.update(data_root=root, serialize_data=False)
    else:
        model.backbone.init_cfg = dict(
            type='Pretrained', checkpoint=source, prefix='backbone')
        model.neck = copy.deepcopy(tiny.neck)
        model.head.in_channels = dim
        if 'CoTuning' in model.head.type:
            model.head.source_checkpoint = source
        cfg.train_dataloader.dataset.dataset.update(
            data_root=root, serialize_data=False)
        cfg.test_dataloader.dataset.update(
            data_root=root, serialize_data=False)
        cfg.val_cfg = cfg.val_dataloader = cfg.val_evaluator = None
        schedule = Config.fromfile(SCHEDULE)
        cfg.optim_wrapper = schedule.optim_wrapper
        cfg.optim_wrapper.optimizer.lr = 1e-3
        cfg.param_scheduler = [
            dict(schedule.param_scheduler[0], end=2),
            dict(schedule.param_scheduler[1], begin=2, end=4)
        ]
    cfg.work_dir = str(work_dir)
    cfg.experiment_name = f'{method}_{arch}_{id(cfg)}'
    return cfg


def subset(cfg: Config, pipeline: list):
    """The training subset of ``cfg`` with ``pipeline``."""
    dataset_cfg = copy.deepcopy(cfg.train_dataloader.dataset)
    dataset_cfg.dataset.pipeline = pipeline
    return DATASETS.build(dataset_cfg)


def built(cfg: Config):
    """The model of ``cfg`` after ``init_weights``, in eval mode."""
    init_default_scope('mmft')
    model = MODELS.build(copy.deepcopy(cfg.model))
    model.init_weights()
    return model.eval()


def direct_relationship_by_hand(cfg: Config, arch: str,
                                source: str) -> torch.Tensor:
    """TLlib's direct estimate, one sample at a time: the mean over each
    class's training images (test pipeline) of softmax(W f + b), with the
    converted checkpoint's classifier ``W, b`` on the backbone (and neck)
    features of the model after init."""
    model = built(cfg)
    state = load(source)['state_dict']
    prefix = classifier_prefix(arch)
    weight, bias = state[prefix + 'weight'], state[prefix + 'bias']
    # the source head after init is that classifier, exactly
    assert torch.equal(model.head.source_fc.weight, weight)
    assert torch.equal(model.head.source_fc.bias, bias)
    dataset = subset(cfg, cfg.test_pipeline)
    rows = [[] for _ in range(NUM_CLASSES)]
    with torch.no_grad():
        for i in range(len(dataset)):
            data = model.data_preprocessor(default_collate([dataset[i]]))
            feat = model.extract_feat(data['inputs'])[-1]
            probs = F.linear(feat, weight, bias).double().softmax(1)[0]
            rows[dataset.get_gt_labels()[i]].append(probs)
    return torch.stack([torch.stack(r).mean(0) for r in rows]).float()


def accuracy_by_hand(model, cfg: Config) -> float:
    """Top-1 (%) of ``model`` on the test split, one image at a time."""
    model.eval()
    dataset = DATASETS.build(copy.deepcopy(cfg.test_dataloader.dataset))
    hits = 0
    with torch.no_grad():
        for i in range(len(dataset)):
            data = model.data_preprocessor(default_collate([dataset[i]]))
            logits = model(data['inputs'], mode='tensor')
            hits += int(logits.argmax(1)) == dataset.get_gt_labels()[i]
    return 100. * hits / len(dataset)


def state_of(runner) -> dict:
    return {
        k: v.detach().clone()
        for k, v in get_ori_model(runner.model).state_dict().items()
    }


# Swin's many small windows make its runs the slowest (about 1.5 s each)
RUNS = [
    pytest.param(a, m, marks=[pytest.mark.slow] if a == 'swin' else [])
    for a in ARCHS for m in ('erm', 'cotuning', 'bituning', 'uft')
    if (a, m) != ('swin', 'uft')
]


@pytest.mark.parametrize('arch,method', RUNS)
def test_trains_resumes_and_tests(data, tmp_path, arch, method):
    """A few iterations through a Runner; a run resumed half-way ends in
    the uninterrupted run's state, tensor for tensor (weights, optimizer
    moments through them, key encoder, queues, relationship); then the
    test loop reports the accuracy of that model."""
    whole = method_cfg(method, arch, data, tmp_path / 'whole')
    runner = Runner.from_cfg(whole)
    runner.train()
    expected = state_of(runner)
    halfway = 'epoch_1.pth' if method == 'uft' else 'iter_2.pth'
    resumed = method_cfg(method, arch, data, tmp_path / 'resumed')
    resumed.load_from = str(tmp_path / 'whole' / halfway)
    resumed.resume = True
    runner = Runner.from_cfg(resumed)
    runner.train()
    state = state_of(runner)
    assert state.keys() == expected.keys()
    different = [k for k in state if not torch.equal(state[k], expected[k])]
    assert different == []
    halfway_state = load(str(tmp_path / 'whole' / halfway))['state_dict']
    assert [  # the resumed half trained the backbone
        k for k in halfway_state if k.startswith('backbone.')
        and not torch.equal(halfway_state[k], state[k])
    ]
    model = built(whole)  # the pretrained weights, converted, are loaded
    source = load(data[arch])['state_dict']
    backbone = {
        k: v
        for k, v in model.state_dict().items() if k.startswith('backbone.')
    }
    assert backbone and all(
        torch.equal(v, source[k]) for k, v in backbone.items())
    if method == 'uft':
        assert state['queue_ptr'] == (2 * 10 * 4) % whole.model.queue_len
        return
    if method == 'cotuning':  # the hook ran once and the resume kept it
        relationship = state['head.relationship']
        torch.testing.assert_close(
            relationship.sum(1), torch.ones(NUM_CLASSES), rtol=0, atol=1e-6)
        torch.testing.assert_close(
            relationship,
            direct_relationship_by_hand(whole, arch, data[arch]),
            rtol=1e-5,
            atol=1e-6)
    metrics = runner.test()
    assert metrics['accuracy/top1'] == pytest.approx(
        accuracy_by_hand(get_ori_model(runner.model), whole))


BASES = dict(vit='vit_b16', swin='swin_t', convnext='convnext_t')


def model_base(name: str) -> Config:
    return Config.fromfile(
        osp.join(ROOT, 'configs', '_base_', 'models', name + '.py'))


@pytest.mark.parametrize('arch', ARCHS)
def test_shipped_models_are_what_the_converter_says(arch):
    """The ViT-B/16, Swin-T and ConvNeXt-T configs have the settings under
    which the converted ImageNet weights give their source's logits
    (``EXPECTED`` of the converter tests), each method's head takes the
    768-d features, and no Co-tuning config types a source prefix (the
    model fills the source checkpoint from the backbone's)."""
    want = EXPECTED[arch]
    prefix = dict(vit='vitb16', swin='swint', convnext='convnextt')[arch]
    models = {
        method:
        Config.fromfile(osp.join(ROOT, 'configs', method,
                                 f'{prefix}_cub.py')).model
        for method in ('erm', 'cotuning', 'bituning', 'cotuning_bituning',
                       'l2sp', 'delta', 'bss', 'lwf')
    }
    if arch != 'swin':
        models['uft'] = model_base(f'{BASES[arch]}_uft_mocov2').model
    for method, model in models.items():
        backbone = model.backbone.to_dict()
        assert {k: backbone[k] for k in want['backbone']} == \
            want['backbone'], method
        if method == 'uft':  # LayerNorm: no shuffle BN
            assert model.shuffle_bn is False
            assert model.neck.with_avg_pool is False
            assert model.neck.in_channels == 768
            continue
        assert model.neck == want['neck'], method
        assert model.head.in_channels == want['head']['in_channels']
        assert 'source_prefix' not in model.head
        assert 'source_checkpoint' not in model.head


@pytest.mark.parametrize('arch', ARCHS)
def test_tiny_backbones_are_their_converted_models(data, arch):
    """The tiny configs are the models the converter says its tiny
    checkpoints load into (ViT's heads are not in the weights)."""
    settings = model_settings(load(data[arch])['state_dict'], arch)
    tiny = tiny_backbone(arch)
    backbone = tiny.backbone.to_dict()
    want = settings['backbone']
    if arch == 'vit':
        want['arch'] = dict(want['arch'], num_heads=2)
    assert {k: backbone[k] for k in want} == want
    assert tiny.neck == settings['neck']
    assert tiny.feat_dim == settings['head']['in_channels']


# spot checks: (parameter, lr / base lr, weight decay) with decay 0.75 and
# the depths of mmpretrain's get_layer_depth (stem 0 ... top D - 1)
LAYER_DECAY = dict(
    vit=[  # D = 2 blocks + 2
        ('backbone.patch_embed.projection.weight', 0.75**3, 0.05),
        ('backbone.cls_token', 0.75**3, 0.),
        ('backbone.pos_embed', 0.75**3, 0.),
        ('backbone.layers.0.attn.qkv.weight', 0.75**2, 0.05),
        ('backbone.layers.0.attn.qkv.bias', 0.75**2, 0.),
        ('backbone.layers.1.ffn.layers.1.weight', 0.75, 0.05),
        ('backbone.layers.1.ln1.weight', 0.75, 0.),
        ('backbone.ln1.weight', 1., 0.),
    ],
    swin=[  # D = 8 blocks + 2; a merge counts as the last block it follows
        ('backbone.patch_embed.projection.weight', 0.75**9, 0.05),
        ('backbone.stages.0.blocks.0.attn.w_msa.qkv.weight', 0.75**8, 0.05),
        ('backbone.stages.0.blocks.0.attn.w_msa.relative_position_bias_table',
         0.75**8, 0.),
        ('backbone.stages.0.downsample.reduction.weight', 0.75**7, 0.05),
        ('backbone.stages.1.blocks.1.ffn.layers.1.weight', 0.75**5, 0.05),
        ('backbone.stages.3.blocks.1.norm2.weight', 0.75, 0.),
        ('backbone.norm3.weight', 1., 0.),
    ],
    convnext=[  # D = 8 for every ConvNeXt up to ConvNeXt-B's 9 blocks
        ('backbone.downsample_layers.0.0.weight', 0.75**7, 0.05),
        ('backbone.stages.0.0.depthwise_conv.weight', 0.75**6, 0.05),
        ('backbone.downsample_layers.1.1.weight', 0.75**5, 0.05),
        ('backbone.stages.2.0.pointwise_conv1.weight', 0.75**4, 0.05),
        ('backbone.stages.3.0.gamma', 0.75, 0.),
        ('backbone.norm3.weight', 1., 0.),
    ])


@pytest.mark.parametrize('arch', ARCHS)
def test_layer_decay_reaches_every_parameter_of_each_backbone(data, arch):
    """mmpretrain's LearningRateDecayOptimWrapperConstructor with the
    shipped paramwise_cfg on Co-tuning + Bi-tuning: the backbone's depths
    scale the lr, the heads and projector (and Co-tuning's source head) are
    at the top, no weight decay on norms, biases, tokens, position tables
    and layer scales; the key encoder (buffers) is not optimised."""
    from mmengine.optim import build_optim_wrapper
    cfg = method_cfg('cotuning_bituning', arch, data, 'unused')
    model = built(cfg)
    init_default_scope('mmft')
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    groups = {g['param_name']: g for g in wrapper.optimizer.param_groups}
    trainable = [n for n, p in model.named_parameters() if p.requires_grad]
    assert sorted(groups) == sorted(trainable)
    assert not any(n.startswith('key_encoder.') for n in groups)
    top = [('head.fc.weight', 1., 0.05), ('head.source_fc.weight', 1., 0.05),
           ('regularizers.projector.projection.weight', 1., 0.05),
           ('head.fc.bias', 1., 0)]
    for name, scale, decay in LAYER_DECAY[arch] + top:
        assert groups[name]['lr'] == pytest.approx(1e-3 * scale), name
        assert groups[name]['weight_decay'] == decay, name


@pytest.mark.parametrize('arch', ARCHS)
def test_bituning_key_encoder_mirrors_backbone_neck_and_projection(data, arch):
    """Without a neck (ViT's class token, ConvNeXt's pooled features: a
    tuple of one [B, C]) the key encoder copies backbone and projection;
    with Swin's pooling neck, that too. Started, it gives the query's
    features and projections."""
    cfg = method_cfg('bituning', arch, data, 'unused')
    cfg.model.backbone.drop_path_rate = 0.  # a deterministic train mode
    model = built(cfg).train()
    parts = dict(model.key_encoder.named_children())
    assert sorted(parts) == sorted(['backbone', 'projection'] +
                                   (['neck'] if arch == 'swin' else []))
    assert model.with_neck == (arch == 'swin')
    model.key_encoder.start()
    torch.manual_seed(0)
    x = torch.randn(4, 3, 32, 32)
    with torch.no_grad():
        query = model.extract_feat(x)
        key = model.key_encoder.backbone(x)
        if model.with_neck:
            key = model.key_encoder.neck(key)
    assert len(key) == 1 and key[0].shape == (4, tiny_backbone(arch).feat_dim)
    assert torch.equal(key[0], query[0])
    assert torch.equal(
        model.key_encoder.projection(key[-1]),
        model.regularizers.projector.projection(query[-1]))
