"""A corrupt or unreadable image fails with its path (mmft's loader)."""
import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope
from mmengine.runner import Runner

import mmft.datasets  # noqa: F401
from mmft.datasets.transforms import CheckedLoadImageFromFile
from mmft.registry import TRANSFORMS


@pytest.fixture
def images(tmp_path):
    folder = tmp_path / 'train' / 'cat'
    folder.mkdir(parents=True)
    good = np.random.default_rng(0).integers(0, 256, (8, 8, 3), np.uint8)
    cv2.imwrite(str(folder / 'a_good.png'), good)
    data = (folder / 'a_good.png').read_bytes()
    (folder / 'b_truncated.png').write_bytes(data[:len(data) // 2])
    (folder / 'c_junk.png').write_bytes(b'not an image')
    (folder / 'd_empty.png').write_bytes(b'')
    return tmp_path, good


@pytest.mark.parametrize('backend', ['cv2', 'pillow'])
@pytest.mark.parametrize('name', ['b_truncated', 'c_junk', 'd_empty'])
def test_bad_file_error_names_it(images, backend, name):
    root, _ = images
    path = str(root / 'train' / 'cat' / f'{name}.png')
    with pytest.raises(OSError, match=f'cannot read image .*{name}.png'):
        CheckedLoadImageFromFile(imdecode_backend=backend)(dict(img_path=path))


def test_good_file_and_mmcv_options_unchanged(images):
    root, good = images
    out = CheckedLoadImageFromFile()(
        dict(img_path=str(root / 'train' / 'cat' / 'a_good.png')))
    np.testing.assert_array_equal(out['img'], good)
    skip = CheckedLoadImageFromFile(ignore_empty=True)  # mmcv: missing -> None
    assert skip(dict(img_path=str(root / 'missing.png'))) is None
    with pytest.raises(FileNotFoundError, match='missing.png'):
        CheckedLoadImageFromFile()(dict(img_path=str(root / 'missing.png')))


def test_configs_get_it_by_name_and_a_dataloader_names_the_file(images):
    root, _ = images
    init_default_scope('mmft')
    assert type(TRANSFORMS.build(dict(type='CheckedLoadImageFromFile'))) is \
        CheckedLoadImageFromFile
    assert type(TRANSFORMS.build(dict(type='LoadImageFromFile'))) is not \
        CheckedLoadImageFromFile  # mmcv's keeps its name
    loader = Runner.build_dataloader(
        dict(
            batch_size=2,
            num_workers=0,
            sampler=dict(type='DefaultSampler', shuffle=False),
            dataset=dict(
                type='CustomDataset',
                data_root=str(root),
                data_prefix='train',
                pipeline=[
                    dict(type='CheckedLoadImageFromFile'),
                    dict(type='PackInputs')
                ])))
    with pytest.raises(OSError, match='b_truncated.png'):
        list(loader)


def test_nan_pixels_of_a_float_image_name_it(tmp_path):
    """A float TIFF read unchanged: before, the batch's loss was NaN and
    the error named a loss term, not the image."""
    img = np.full((8, 8, 3), 0.5, np.float32)
    img[1, 2, 0] = np.nan
    img[3, 3, 1] = np.inf
    path = str(tmp_path / 'scan.tiff')
    assert cv2.imwrite(path, img)
    with pytest.raises(
            ValueError,
            match=r"image '.*scan.tiff' holds 2 NaN/inf pixel value\(s\) \(a "
            r"floating-point float32 file, loaded with color_type='unchanged'"
    ):
        CheckedLoadImageFromFile(color_type='unchanged')(dict(img_path=path))
    img[1, 2, 0] = img[3, 3, 1] = 0.25
    assert cv2.imwrite(path, img)
    out = CheckedLoadImageFromFile(color_type='unchanged')(dict(img_path=path))
    np.testing.assert_array_equal(out['img'], img)


def test_an_image_already_loaded_passes_through():
    """mmpretrain's inferencer reads the image itself and strips only a
    step named LoadImageFromFile from the test pipeline."""
    img = np.zeros((4, 5, 3), dtype=np.uint8)
    out = CheckedLoadImageFromFile()(dict(img=img, img_shape=(4, 5)))
    assert out['img'] is img and out['img_shape'] == (4, 5)
    with pytest.raises(OSError, match='cannot read image None'):
        CheckedLoadImageFromFile()(dict(img_shape=(4, 5)))  # neither
