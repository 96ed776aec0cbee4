"""Data read as it is meant, or refused: the documented label and pixel conversions, and what an
image folder's walk skips. (The refusals are rows of docs/bad_inputs.md.)"""

import logging

import numpy as np
import pytest

from llexp.api import compose
from llexp.data import FolderSource, NpzSource
from llexp.data.checks import to_images
from llexp.errors import instantiate

from helpers import write_image_folder, write_npz


def npz(path, **changes):
    """The tiny npz of conftest (12x12 uint8, 3 classes, labels 0, 1, 2, 0, ...), changed."""
    write_npz(path)
    with np.load(path) as f:
        arrays = {k: f[k] for k in f.files}
    arrays.update({k: v(arrays[k]) for k, v in changes.items()})
    np.savez(path, **arrays)
    return path


def loaded(path, caplog, **kwargs):
    with caplog.at_level(logging.INFO):
        return NpzSource(path, num_classes=3, val_split=0, **kwargs).load()


def test_one_hot_labels_become_class_indices(tmp_path, caplog):
    path = npz(tmp_path / "d.npz", y_train=lambda y: np.eye(3, dtype="float32")[y])
    data = loaded(path, caplog)
    assert data.y_train[:4].tolist() == [0, 1, 2, 0]
    assert "one-hot rows read as class indices" in caplog.text


def test_text_labels_become_classes_and_name_them(tmp_path, caplog):
    words = np.array(["cat", "dog", "emu"])
    path = npz(tmp_path / "d.npz", y_train=lambda y: words[y], y_test=lambda y: words[y])
    data = loaded(path, caplog)
    assert data.class_names == ["cat", "dog", "emu"]
    assert data.y_test[:3].tolist() == [0, 1, 2]
    assert "text labels read as 3 classes (cat, dog, emu)" in caplog.text


def test_column_labels_and_whole_number_floats_are_class_indices(tmp_path, caplog):
    path = npz(
        tmp_path / "d.npz",
        y_train=lambda y: y.reshape(-1, 1),
        y_test=lambda y: y.astype("float64"),
    )
    data = loaded(path, caplog)
    assert data.y_train.shape == (60,) and data.y_test[:3].tolist() == [0, 1, 2]


def test_sixteen_bit_pixels_are_scaled_by_their_own_range(tmp_path, caplog):
    path = npz(tmp_path / "d.npz", x_train=lambda x: x.astype("uint16") * 257)  # 255 -> 65535
    data = loaded(path, caplog)
    assert 0.0 <= data.x_train.min() and data.x_train.max() <= 1.0
    assert data.x_train.max() == pytest.approx(data.x_test.max(), abs=0.02)  # same brightness
    assert "uint16 pixels divided by 65535" in caplog.text


def test_signed_pixels_within_eight_bits_are_read_as_eight_bit(tmp_path, caplog):
    path = npz(tmp_path / "d.npz", x_train=lambda x: x.astype("int64"))
    data = loaded(path, caplog)
    assert data.x_train.max() <= 1.0
    assert "int64 pixels in 0..255 read as 8-bit" in caplog.text


def test_channels_first_images_are_moved_to_channels_last(tmp_path, caplog):
    rgb = lambda x: np.repeat(x[:, None], 3, axis=1)  # noqa: E731  (N, 3, 12, 12)
    path = npz(tmp_path / "d.npz", x_train=rgb, x_test=rgb)
    source = NpzSource(path, num_classes=3, val_split=0)
    assert source.input_shape == (12, 12, 3)
    with caplog.at_level(logging.INFO):
        assert source.load().x_train.shape == (60, 12, 12, 3)
    assert "channels-first images (60, 3, 12, 12) moved to channels-last" in caplog.text


@pytest.mark.parametrize("shape", [(60, 4, 4, 16), (60, 3, 12, 3), (60, 1, 28, 4), (60, 4, 3, 8)])
def test_channels_last_arrays_with_few_rows_are_left_as_they_are(tmp_path, shape):
    x = np.random.default_rng(0).random(shape).astype("float32")
    assert to_images(x, "codes").shape == shape


def test_hidden_folders_and_files_are_not_images_of_a_class(tmp_path):
    root, names = write_image_folder(tmp_path / "imgs", classes=2, per_class=4)
    checkpoints = root / names[0] / ".ipynb_checkpoints"
    checkpoints.mkdir()
    for image in (root / names[0]).glob("*.png"):
        (checkpoints / image.name).write_bytes(image.read_bytes())
    (root / names[1] / "._img000.png").write_bytes(b"resource fork, not an image")
    (root / ".trash").mkdir()
    source = FolderSource(root)
    assert source.num_classes == 2
    assert len(source.train_files[0]) == 8


def test_the_config_and_the_dataset_count_the_same_classes(tmp_path):
    root, _ = write_image_folder(tmp_path / "imgs", classes=3, per_class=4)
    (root / "empty_class").mkdir()
    cfg = compose("dataset=folder", f"dataset.path={root}")
    assert cfg.dataset.num_classes == 3
    assert instantiate(cfg.dataset).num_classes == 3


def test_a_link_to_a_sibling_class_inside_the_folder_is_followed(tmp_path):
    root, names = write_image_folder(tmp_path / "imgs", classes=2, per_class=4)
    (root / "more_a").symlink_to(root / names[0], target_is_directory=True)
    assert FolderSource(root).num_classes == 3
