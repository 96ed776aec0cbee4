"""Loaders: npz and digits offline, the keras.datasets loaders on files in their real formats."""

import gzip
import pickle

import numpy as np
import pytest

from llexp.data import DigitsSource, KerasSource, NpzSource, batches
from llexp.errors import LlexpError

from helpers import keras_downloads, write_npz


def test_npz_grayscale_uint8_is_scaled_and_gets_a_channel(npz_file):
    source = NpzSource(npz_file, num_classes=3, val_split=0.25, seed=0)
    assert source.input_shape == (12, 12, 1)  # read from the header, before loading
    data = source.load()
    assert data.x_train.shape == (45, 12, 12, 1) and data.x_val.shape == (15, 12, 12, 1)
    assert data.x_test.shape == (20, 12, 12, 1)
    assert data.x_train.dtype == np.float32 and 0.0 <= data.x_train.min() <= data.x_train.max() <= 1
    assert np.bincount(data.y_val).tolist() == [5, 5, 5]  # stratified


def test_npz_rgb_float_is_kept(tmp_path):
    path = write_npz(tmp_path / "rgb.npz", shape=(8, 8, 3), dtype="float32")
    data = NpzSource(path, num_classes=3, val_split=6, seed=0).load()
    assert data.input_shape == (8, 8, 3) and len(data.x_val) == 6
    raw = np.load(path)["x_test"]
    np.testing.assert_array_equal(data.x_test, raw)


def test_split_and_subset_are_seeded(npz_file):
    a = NpzSource(npz_file, num_classes=3, subset=30, seed=1).load()
    b = NpzSource(npz_file, num_classes=3, subset=30, seed=1).load()
    c = NpzSource(npz_file, num_classes=3, subset=30, seed=2).load()
    assert len(a.x_train) + len(a.x_val) == 30
    np.testing.assert_array_equal(a.x_train, b.x_train)
    assert not np.array_equal(a.x_train, c.x_train)


@pytest.mark.parametrize(
    "make, message",
    [
        (lambda p: p / "missing.npz", "missing.npz: no such file"),
        (
            lambda p: [(p / "bad.npz").write_text("not a zip")] and p / "bad.npz",
            "not a readable .npz",
        ),
        (
            lambda p: np.savez(p / "k.npz", x_train=np.zeros((2, 4, 4))) or p / "k.npz",
            "lacks y_train, x_test, y_test",
        ),
    ],
)
def test_bad_dataset_path_is_one_clear_line(tmp_path, make, message):
    with pytest.raises(LlexpError, match=message) as error:
        NpzSource(make(tmp_path), num_classes=3)
    assert "\n" not in str(error.value)


def test_labels_beyond_num_classes_are_refused(npz_file):
    with pytest.raises(LlexpError, match="set dataset.num_classes=3"):
        NpzSource(npz_file, num_classes=2).load()


def test_float_images_outside_unit_range_are_refused(tmp_path):
    path = tmp_path / "f.npz"
    x = np.full((4, 4, 4), 3.0, "float32")
    np.savez(path, x_train=x, y_train=np.arange(4) % 2, x_test=x, y_test=np.arange(4) % 2)
    with pytest.raises(LlexpError, match=r"float images must lie in \[0, 1\]"):
        NpzSource(path, num_classes=2, val_split=0).load()


def test_digits_loads_offline_with_a_test_split():
    data = DigitsSource(val_split=0.1, test_split=0.2, seed=0).load()
    assert data.input_shape == (8, 8, 1) and data.num_classes == 10
    assert len(data.x_train) + len(data.x_val) + len(data.x_test) == 1797
    assert len(data.x_test) == 360
    assert 0.0 <= data.x_train.min() and data.x_train.max() == 1.0


def test_batches_shuffle_with_the_seed():
    x, y = np.arange(20, dtype="float32"), np.arange(20)
    first = [b[1].numpy().tolist() for b in batches(x, y, 5, shuffle=True, seed=3)]
    again = [b[1].numpy().tolist() for b in batches(x, y, 5, shuffle=True, seed=3)]
    assert first == again and sorted(sum(first, [])) == list(range(20))
    assert [b[1].numpy().tolist() for b in batches(x, y, 5)][0] == [0, 1, 2, 3, 4]


# --- keras.datasets loaders, fed files in each dataset's real on-disk format -----------------


def fake_get_file(monkeypatch, module, path):
    keras_downloads(monkeypatch, f"datasets.{module}", lambda *a, **k: str(path))


def test_mnist_loader_reads_the_real_npz_format(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    arrays = {k: rng.integers(0, 256, (30, 28, 28), dtype="uint8") for k in ("x_train", "x_test")}
    arrays |= {k: np.arange(30, dtype="uint8") % 10 for k in ("y_train", "y_test")}
    np.savez(tmp_path / "mnist.npz", **arrays)
    fake_get_file(monkeypatch, "mnist", tmp_path / "mnist.npz")
    data = KerasSource("mnist", [28, 28, 1], 10, val_split=10, seed=0).load()
    assert data.x_train.shape == (20, 28, 28, 1) and len(data.x_val) == 10
    np.testing.assert_allclose(data.x_test[..., 0], arrays["x_test"] / 255.0, rtol=1e-6)


def test_fashion_mnist_loader_reads_the_real_idx_gz_format(tmp_path, monkeypatch):
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (20, 28, 28), dtype="uint8")
    labels = np.arange(20, dtype="uint8") % 10
    files = {}
    for name, header, payload in [
        ("train-labels", 8, labels),
        ("train-images", 16, images),
        ("t10k-labels", 8, labels),
        ("t10k-images", 16, images),
    ]:
        files[name] = tmp_path / f"{name}.gz"
        with gzip.open(files[name], "wb") as f:
            f.write(bytes(header) + payload.tobytes())
    keras_downloads(
        monkeypatch,
        "datasets.fashion_mnist",
        lambda fname, **k: str(files[fname.split("-idx")[0]]),
    )
    data = KerasSource("fashion_mnist", [28, 28, 1], 10, val_split=0, seed=0).load()
    assert data.x_train.shape == (20, 28, 28, 1) and data.y_test.tolist() == labels.tolist()


def test_cifar10_loader_reads_the_real_pickled_batches(tmp_path, monkeypatch):
    root = tmp_path / "cifar-10-batches-py"
    root.mkdir()
    for i, name in enumerate([f"data_batch_{i}" for i in range(1, 6)] + ["test_batch"]):
        batch = {
            b"data": np.full((10000, 3072), 40 * i, dtype="uint8"),
            b"labels": list(range(10)) * 1000,
        }
        (root / name).write_bytes(pickle.dumps(batch))
    # keras downloads a tar.gz and extracts it to exactly this folder of 5+1 batches of 10000
    fake_get_file(monkeypatch, "cifar10", tmp_path)
    data = KerasSource("cifar10", [32, 32, 3], 10, val_split=0.1, subset=200, seed=0).load()
    assert data.input_shape == (32, 32, 3) and len(data.x_train) == 180
    assert data.y_test.shape == (10000,)
    np.testing.assert_allclose(data.x_test, 200 / 255.0, rtol=1e-6)  # from test_batch


def test_offline_download_says_what_failed_and_what_to_do(monkeypatch):
    def offline(*args, **kwargs):
        raise Exception(
            "URL fetch failure on https://example/mnist.npz: None -- [Errno -3] "
            "Temporary failure in name resolution"
        )

    keras_downloads(monkeypatch, "datasets.mnist", offline)
    monkeypatch.setenv("KERAS_HOME", "/somewhere/keras")
    with pytest.raises(LlexpError) as error:
        KerasSource("mnist", [28, 28, 1], 10).load()
    message = str(error.value)
    assert "\n" not in message
    assert "could not download dataset mnist into /somewhere/keras/datasets" in message
    assert "dataset=digits" in message and "dataset=npz dataset.path=" in message


def test_image_shape_mismatch_is_caught(tmp_path, monkeypatch):
    np.savez(
        tmp_path / "m.npz",
        x_train=np.zeros((4, 8, 8), "uint8"),
        y_train=np.arange(4),
        x_test=np.zeros((4, 8, 8), "uint8"),
        y_test=np.arange(4),
    )
    fake_get_file(monkeypatch, "mnist", tmp_path / "m.npz")
    with pytest.raises(LlexpError, match="fix dataset.image_shape"):
        KerasSource("mnist", [28, 28, 1], 10, val_split=0).load()


def test_cached_arrays_are_still_checked_against_each_jobs_config(npz_file):
    NpzSource(npz_file, num_classes=3).load()  # decodes and caches the arrays
    with pytest.raises(LlexpError, match="set dataset.num_classes=3"):
        NpzSource(npz_file, num_classes=2).load()  # same file: cached arrays, other config


@pytest.mark.parametrize(
    "key, value, message",
    [
        ("val_split", 2.5, r"dataset.val_split=2.5 must be a fraction in \(0, 1\) or a whole"),
        ("val_split", -3, r"dataset.val_split=-3 must be a fraction in \(0, 1\) or a whole"),
        ("val_split", 1.0, r"dataset.val_split=1.0 must be a fraction in \(0, 1\) or a whole"),
        ("subset", "abc", "dataset.subset='abc' must be a fraction"),
    ],
)
def test_bad_split_sizes_fail_before_any_data_loads(npz_file, key, value, message):
    with pytest.raises(LlexpError, match=message):
        NpzSource(npz_file, num_classes=3, **{key: value})


def test_a_dataset_without_test_images_is_refused_before_training(tmp_path):
    path = tmp_path / "notest.npz"
    np.savez(
        path,
        x_train=np.zeros((4, 4, 4), "uint8"),
        y_train=np.arange(4) % 2,
        x_test=np.zeros((0, 4, 4), "uint8"),
        y_test=np.zeros(0, "int64"),
    )
    with pytest.raises(LlexpError, match="x_train and x_test must hold images"):
        NpzSource(path, num_classes=2)
    with pytest.raises(LlexpError, match="test_split=0"):
        DigitsSource(test_split=0)


def write_cifar100(root, n_train=40, n_test=20):
    """The extracted archive as keras.datasets.cifar100 finds it: pickled dicts whose keys and
    names load as bytes (the real files were written by Python 2)."""
    folder = root / "cifar-100-python-target" / "cifar-100-python"
    folder.mkdir(parents=True)
    for name, n in (("train", n_train), ("test", n_test)):
        fine = [i % 100 for i in range(n)]  # image i: fine label i % 100, coarse i % 20
        batch = {
            b"data": np.repeat(np.arange(n, dtype="uint8")[:, None], 3072, axis=1),
            b"fine_labels": fine,
            b"coarse_labels": [i % 20 for i in fine],
            b"filenames": [f"img{i}.png".encode() for i in fine],
        }
        (folder / name).write_bytes(pickle.dumps(batch))
    meta = {
        b"fine_label_names": [f"fine{i}".encode() for i in range(100)],
        b"coarse_label_names": [f"coarse{i}".encode() for i in range(20)],
    }
    (folder / "meta").write_bytes(pickle.dumps(meta))
    return root / "cifar-100-python-target"


@pytest.mark.parametrize("label_mode, classes", [("fine", 100), ("coarse", 20)])
def test_cifar100_loader_reads_the_real_archive_and_names_its_classes(
    label_mode, classes, tmp_path, monkeypatch
):
    from llexp.api import compose
    from llexp.errors import instantiate

    fake_get_file(monkeypatch, "cifar100", write_cifar100(tmp_path, n_train=200, n_test=100))
    cfg = compose("dataset=cifar100", f"dataset.label_mode={label_mode}", "dataset.val_split=0")
    assert cfg.dataset.num_classes == classes and cfg.model.num_classes == classes
    data = instantiate(cfg.dataset).splits()
    assert data.input_shape == (32, 32, 3) and len(data.test) == 100
    # CIFAR-100's names, from the dataset's YAML, in label order (the archive's own are unread).
    first = {"fine": ["apple", "aquarium_fish"], "coarse": ["aquatic_mammals", "fish"]}
    last = {"fine": "worm", "coarse": "vehicles_2"}
    assert len(data.class_names) == classes and len(set(data.class_names)) == classes
    assert data.class_names[:2] == first[label_mode] and data.class_names[-1] == last[label_mode]
    expected = np.arange(100) if label_mode == "fine" else np.arange(100) % 20
    np.testing.assert_array_equal(data.test.labels, expected)
    np.testing.assert_allclose(data.test.x[7], 7 / 255.0, rtol=1e-6)  # pixels of test image 7


@pytest.mark.parametrize(
    "overrides, message",
    [
        (["dataset.label_mode=medium"], "dataset.label_mode='medium' must be fine or coarse"),
        (["dataset.num_classes=10"], "has 100 classes but dataset.num_classes=10"),
    ],
)
def test_cifar100_mistakes_are_one_line(overrides, message):
    from llexp.api import compose
    from llexp.errors import instantiate

    with pytest.raises(LlexpError, match=message):
        instantiate(compose("dataset=cifar100", *overrides).dataset)


def test_a_run_folder_saved_before_the_sources_were_renamed_still_resumes():
    """A run folder keeps the config it was made with; `llexp resume` checks that config again.
    One written when the sources were called `*Dataset` still names its source."""
    from omegaconf import OmegaConf

    from llexp.api import compose
    from llexp.checks import check_config

    cfg = OmegaConf.create(OmegaConf.to_container(compose("dataset=digits"), resolve=True))
    cfg.dataset._target_ = "llexp.data.DigitsDataset"  # as .hydra/config.yaml recorded it then
    source = check_config(cfg).source
    assert isinstance(source, DigitsSource) and source.input_shape == (8, 8, 1)
