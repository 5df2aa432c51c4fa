"""torchvision / timm ViT, Swin and ConvNeXt to mmpretrain: the converted
model gives the source model's logits.

Each source model is tiny but has the structure of ViT-B/16, Swin-T and
ConvNeXt-T (for Swin: shifted windows in every stage but the last, whose
map is one window, as Swin-T at 224 px), so the key patterns and layout
changes are the same as for the real weights; the real sizes are checked
by their keys and shapes. The comparison is in float64, so that the 1e-5
tolerance measures the conversion, not float32 rounding (float32 agrees to
about 7e-6 here on logits of magnitude 5).
"""
import copy
import functools
import importlib.util
import os.path as osp
import re

import pytest
import timm
import torch
import torchvision
from mmengine.registry import init_default_scope
from torchvision.models.convnext import CNBlockConfig

from mmft.utils.convert import (LayoutError, classifier_prefix, convert,
                                detect_arch, model_settings)
from tests.helpers import ROOT, load

NUM_CLASSES = 10


def load_tool(name):
    path = osp.join(ROOT, 'tools', 'model_converters', name + '.py')
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tiny_source(source, arch):
    """A tiny model of the library, of the family's structure, and the
    ``num_heads`` that its weights do not tell (ViT)."""
    heads = None
    if (source, arch) == ('torchvision', 'vit'):
        model, heads = torchvision.models.VisionTransformer(
            image_size=32,
            patch_size=16,
            num_layers=2,
            num_heads=2,
            hidden_dim=32,
            mlp_dim=64,
            num_classes=NUM_CLASSES), 2
    elif (source, arch) == ('timm', 'vit'):
        model, heads = timm.models.VisionTransformer(
            img_size=32,
            patch_size=16,
            embed_dim=32,
            depth=2,
            num_heads=2,
            mlp_ratio=2.,
            num_classes=NUM_CLASSES), 2
    elif (source, arch) == ('torchvision', 'swin'):
        # 96 px / 4 = 24, 12, 6, 3 tokens a side; windows of 3
        model = torchvision.models.SwinTransformer(
            patch_size=[4, 4],
            embed_dim=16,
            depths=[2, 2, 2, 2],
            num_heads=[1, 2, 2, 4],
            window_size=[3, 3],
            num_classes=NUM_CLASSES)
    elif (source, arch) == ('timm', 'swin'):
        model = timm.models.SwinTransformer(
            img_size=96,
            patch_size=4,
            embed_dim=16,
            depths=(2, 2, 2, 2),
            num_heads=(1, 2, 2, 4),
            window_size=3,
            num_classes=NUM_CLASSES)
    elif (source, arch) == ('torchvision', 'convnext'):
        model = torchvision.models.ConvNeXt([
            CNBlockConfig(8, 16, 1),
            CNBlockConfig(16, 32, 1),
            CNBlockConfig(32, 64, 1),
            CNBlockConfig(64, None, 1)
        ],
                                            num_classes=NUM_CLASSES)
    else:
        model = timm.models.ConvNeXt(
            depths=(1, 1, 1, 1), dims=(8, 16, 32, 64), num_classes=NUM_CLASSES)
    return model, heads


def randomized(model, seed=0):
    """Perturb every parameter: the zero-initialised classifiers, unit
    norms and tiny layer scales would hide a mixed-up mapping."""
    torch.manual_seed(seed)
    with torch.no_grad():
        for param in model.parameters():
            param.add_(torch.randn_like(param) * 0.2)
    return model.eval()


def build(settings, num_heads=None):
    """The mmpretrain ImageClassifier of ``settings``, in eval mode."""
    import mmpretrain.models  # noqa: F401
    from mmpretrain.registry import MODELS
    settings = copy.deepcopy(settings)
    if num_heads is not None:
        settings['backbone']['arch']['num_heads'] = num_heads
    init_default_scope('mmpretrain')
    return MODELS.build(dict(type='ImageClassifier', **settings)).eval()


def assert_same_logits(src_model, state_dict, arch, num_heads, size):
    model = build(model_settings(state_dict, arch), num_heads)
    model.load_state_dict(state_dict, strict=True)
    x = torch.randn(2, 3, size, size, dtype=torch.float64)
    with torch.no_grad():
        expected = src_model.double()(x)
        logits = model.double()(x, mode='tensor')
    assert expected.std() > 0.1  # not a constant output
    torch.testing.assert_close(logits, expected, atol=1e-5, rtol=0)


PAIRS = [(s, a) for s in ('torchvision', 'timm')
         for a in ('vit', 'swin', 'convnext')]
SIZE = dict(vit=32, swin=96, convnext=32)
# Swin's many windows, and float64 convolutions' first call (about 1.5 s),
# take 2-4 s on a busy 2-core machine
SLOW = ('swin', 'convnext')


@pytest.mark.parametrize('source,arch', [
    pytest.param(*pair, marks=[pytest.mark.slow] if pair[1] in SLOW else [])
    for pair in PAIRS
])
def test_converted_model_gives_the_same_logits(source, arch):
    src_model, heads = tiny_source(source, arch)
    randomized(src_model)
    state_dict = src_model.state_dict()
    assert detect_arch(state_dict, source) == arch
    converted = convert(state_dict, source)
    prefix = classifier_prefix(arch)
    # each library registers its classifier last
    classifier = [
        m for m in src_model.modules() if isinstance(m, torch.nn.Linear)
    ][-1]
    assert torch.equal(converted[prefix + 'weight'], classifier.weight)
    assert_same_logits(src_model, converted, arch, heads, SIZE[arch])


def official_swin_layout(model):
    """The timm < 0.9 / official Swin checkpoint of a timm >= 0.9 model:
    each merge at the end of its stage, ``head.*``, saved buffers."""
    old = {}
    for key, value in model.state_dict().items():
        key = re.sub(r'layers\.(\d+)\.downsample',
                     lambda m: f'layers.{int(m[1]) - 1}.downsample', key)
        old[key.replace('head.fc.', 'head.')] = value
    for name, buffer in model.named_buffers():
        if name.endswith(('relative_position_index', 'attn_mask')):
            old[name] = buffer
    return old


def test_timm_swin_official_layout_gives_the_same_logits():
    from timm.models.swin_transformer import checkpoint_filter_fn
    src_model = randomized(tiny_source('timm', 'swin')[0])
    old = official_swin_layout(src_model)
    assert 'layers.0.downsample.reduction.weight' in old
    assert any(k.endswith('attn_mask') for k in old)
    # timm's own loader reads it back as the model's state dict
    new = checkpoint_filter_fn(old, src_model)
    assert new.keys() == src_model.state_dict().keys()
    converted = convert(dict(model=old), 'timm')  # as the official files
    assert_same_logits(src_model, converted, 'swin', None, 96)


REAL = {
    ('torchvision', 'vit'): lambda: torchvision.models.vit_b_16(),
    ('torchvision', 'swin'): lambda: torchvision.models.swin_t(),
    ('torchvision', 'convnext'): lambda: torchvision.models.convnext_tiny(),
    ('timm', 'vit'): lambda: timm.create_model('vit_base_patch16_224'),
    ('timm', 'swin'):
    lambda: timm.create_model('swin_tiny_patch4_window7_224'),
    ('timm', 'convnext'): lambda: timm.create_model('convnext_tiny'),
}
# the settings the real weights need, as the report and configs state them
EXPECTED = dict(
    vit=dict(
        backbone=dict(
            type='VisionTransformer',
            arch='base',
            img_size=224,
            patch_size=16,
            out_type='cls_token',
            with_cls_token=True,
            final_norm=True,
            pre_norm=False,
            qkv_bias=True,
            layer_scale_init_value=0.,
            norm_cfg=dict(type='LN', eps=1e-6)),
        neck=None,
        head=dict(
            type='VisionTransformerClsHead',
            num_classes=1000,
            in_channels=768,
            hidden_dim=None)),
    swin=dict(
        backbone=dict(
            type='SwinTransformer',
            arch='tiny',
            patch_size=4,
            window_size=7,
            out_indices=(3, ),
            out_after_downsample=False,
            use_abs_pos_embed=False,
            pad_small_map=False,
            norm_cfg=dict(type='LN')),
        neck=dict(type='GlobalAveragePooling'),
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=768)),
    convnext=dict(
        backbone=dict(
            type='ConvNeXt',
            arch='tiny',
            out_indices=-1,
            gap_before_final_norm=True,
            linear_pw_conv=True,
            use_grn=False,
            layer_scale_init_value=1e-6,
            norm_cfg=dict(type='LN2d', eps=1e-6)),
        neck=None,
        head=dict(type='LinearClsHead', num_classes=1000, in_channels=768)))


@functools.lru_cache()
def mmpretrain_shapes(arch):
    model = build(EXPECTED[arch])
    return {k: tuple(v.shape) for k, v in model.state_dict().items()}


@pytest.mark.parametrize('source,arch', PAIRS)
def test_real_size_keys_and_settings(source, arch):
    """ViT-B/16, Swin-T, ConvNeXt-T (built on the meta device: shapes, no
    values) convert to exactly the keys and shapes of mmpretrain's model
    with the stated settings."""
    with torch.device('meta'):
        state_dict = REAL[source, arch]().state_dict()
    converted = convert(state_dict, source)
    assert model_settings(converted, arch) == EXPECTED[arch]
    assert {k: tuple(v.shape)
            for k, v in converted.items()} == mmpretrain_shapes(arch)


def test_tool_end_to_end(tmp_path, capsys):
    src_model, heads = tiny_source('torchvision', 'vit')
    src = str(tmp_path / 'tv.pth')
    torch.save(randomized(src_model).state_dict(), src)
    dst = str(tmp_path / 'out' / 'mm.pth')
    load_tool('torchvision_to_mmpretrain').main([src, dst])
    printed = capsys.readouterr().out
    assert 'torchvision vit' in printed
    assert "source_prefix = 'head.layers.head.'" in printed
    assert "norm_cfg=dict(type='LN', eps=1e-06)" in printed
    assert 'hidden_dim=None' in printed
    assert 'set backbone.arch.num_heads' in printed  # not in the weights
    ckpt = load(dst)  # loads without --trust: plain tensors and meta
    assert ckpt['meta']['layout'] == 'torchvision/vit'
    assert ckpt['meta']['converter'] == 'torchvision_to_mmpretrain.py'
    assert ckpt['meta']['source_prefix'] == 'head.layers.head.'
    assert ckpt['meta']['model']['backbone']['out_type'] == 'cls_token'
    assert_same_logits(src_model, ckpt['state_dict'], 'vit', heads, 32)


def test_timm_tool_reads_safetensors_and_takes_arch(tmp_path, capsys):
    from safetensors.torch import save_file
    src_model, heads = tiny_source('timm', 'vit')
    src = str(tmp_path / 'model.safetensors')
    save_file(randomized(src_model).state_dict(), src)
    dst = str(tmp_path / 'mm.pth')
    tool = load_tool('timm_to_mmpretrain')
    result = tool.main([src, dst, '--arch', 'vit'])
    assert 'timm vit' in capsys.readouterr().out
    assert result['meta']['source_prefix'] == 'head.layers.head.'
    assert_same_logits(src_model, load(dst)['state_dict'], 'vit', heads, 32)


def test_unknown_layout_names_the_keys(tmp_path):
    state_dict = {
        'encoder.weird_block.weight': torch.zeros(2),
        'fc.weight': torch.zeros(2, 2)
    }
    with pytest.raises(LayoutError, match='cannot tell the architecture') \
            as error:
        detect_arch(state_dict, 'torchvision')
    assert "'encoder.weird_block.weight'" in str(error.value)
    assert '--arch' in str(error.value)
    src = str(tmp_path / 'x.pth')
    torch.save(state_dict, src)
    tool = load_tool('torchvision_to_mmpretrain')
    with pytest.raises(LayoutError, match="'fc.weight'"):
        tool.main([src, str(tmp_path / 'out.pth')])
    assert not osp.exists(tmp_path / 'out.pth')


def test_other_library_is_named():
    state_dict = tiny_source('timm', 'convnext')[0].state_dict()
    with pytest.raises(LayoutError, match='timm_to_mmpretrain.py'):
        convert(state_dict, 'torchvision')


def test_unknown_keys_are_refused_not_dropped():
    """A variant with extra weights (register tokens) or none of the
    classifier Co-tuning needs is refused, naming what is wrong."""
    regs = timm.models.VisionTransformer(
        img_size=32,
        patch_size=16,
        embed_dim=32,
        depth=1,
        num_heads=2,
        reg_tokens=1,
        num_classes=NUM_CLASSES).state_dict()
    with pytest.raises(LayoutError, match="'reg_token'"):
        convert(regs, 'timm')
    headless = timm.models.ConvNeXt(
        depths=(1, 1, 1, 1), dims=(8, 16, 32, 64), num_classes=0)
    with pytest.raises(LayoutError, match='classifier'):
        convert(headless.state_dict(), 'timm')


def damage(state, how):
    key = 'encoder.layers.encoder_layer_1.self_attention.out_proj.weight'
    if how == 'int64':
        state[key] = (state[key] * 100).long()
    elif how == 'shape':
        state[key] = state[key][:, :16].clone()
    else:
        state[key][3, 4] = float('nan')


@pytest.mark.parametrize(
    'how,message', [
        ('int64', r"'backbone.layers.1.attn.proj.weight' of .*tv.pth is "
         r'torch.int64, not floating-point weights'),
        ('shape',
         r"do not load \(strict=True\) into ImageClassifier .*: shape "
         r"'backbone.layers.1.attn.proj.weight' \(32, 16\) where the model "
         r'has \(32, 32\)'),
        ('nan', r"'backbone.layers.1.attn.proj.weight' of .*tv.pth holds 1 "
         r'NaN/inf value'),
    ],
    ids=['int64', 'shape', 'nan'])
def test_damaged_weights_are_refused_not_written(tmp_path, capsys, how,
                                                 message):
    """Before, each was written and the tool printed that it loads."""
    state = randomized(tiny_source('torchvision', 'vit')[0]).state_dict()
    damage(state, how)
    src = str(tmp_path / 'tv.pth')
    torch.save(state, src)
    tool = load_tool('torchvision_to_mmpretrain')
    with pytest.raises(ValueError, match=message):
        tool.main([src, str(tmp_path / 'mm.pth')])
    assert not osp.exists(tmp_path / 'mm.pth')
    assert 'strict=True' not in capsys.readouterr().out


@pytest.mark.parametrize('content', ['pickle', 'truncated'])
def test_an_unreadable_safetensors_file_is_named(tmp_path, content):
    from safetensors.torch import save_file

    from mmft.runtime import CheckpointLoadError
    state = tiny_source('timm', 'vit')[0].state_dict()
    src = str(tmp_path / 'model.safetensors')
    if content == 'pickle':  # a .pth under the name
        torch.save(state, src)
    else:
        save_file(state, src)
        data = open(src, 'rb').read()
        open(src, 'wb').write(data[:len(data) // 2])
    with pytest.raises(
            CheckpointLoadError,
            match=f"cannot read '{re.escape(src)}' as safetensors"):
        load_tool('timm_to_mmpretrain').main([src, str(tmp_path / 'mm.pth')])
    assert not osp.exists(tmp_path / 'mm.pth')


def test_a_resnet_is_sent_to_the_resnet_converter():
    state = torchvision.models.resnet18(weights=None).state_dict()
    for source in ('torchvision', 'timm'):
        with pytest.raises(
                LayoutError,
                match='look like a ResNet: use tools/model_converters/'
                'torchvision_resnet_to_mmpretrain.py'):
            convert(state, source)
