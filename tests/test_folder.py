"""dataset=folder: image folders streamed from disk, their layouts, and each mistake in one line."""

import numpy as np
import pytest
from PIL import Image

from llexp.api import compose
from llexp.data import FolderSource
from llexp.data.pipeline import ArrayPart, FilePart
from llexp.errors import LlexpError

from helpers import TINY, write_image_folder


def test_class_folders_are_split_seeded_and_stratified(tmp_path):
    root, names = write_image_folder(tmp_path / "imgs", classes=3, per_class=8)
    source = FolderSource(root, test_split=0.25, val_split=3, seed=0)
    assert source.input_shape == (8, 8, 3) and source.class_names == names
    data = source.splits()
    assert (len(data.train), len(data.val), len(data.test)) == (15, 3, 6)
    assert np.bincount(data.test.labels).tolist() == [2, 2, 2]  # stratified
    again = FolderSource(root, test_split=0.25, val_split=3, seed=0).splits()
    assert data.test.paths == again.test.paths  # seeded
    # Pixels are the PNG's, scaled to [0, 1]; labels follow the folder names.
    x, y = data.sample("test", 6)
    path = data.test.paths[0]
    expected = np.asarray(Image.open(path), dtype="float32") / 255.0
    np.testing.assert_allclose(x[0], expected, atol=1e-6)
    assert names[y[0]] in path


def test_train_and_test_subfolders_are_used_as_they_are(tmp_path):
    root, names = write_image_folder(tmp_path / "imgs", classes=2, per_class=6, split=True)
    data = FolderSource(root, val_split=0, seed=0).splits()
    assert (len(data.train), len(data.val), len(data.test)) == (12, 0, 6)
    assert all("/test/" in p for p in data.test.paths)
    assert data.class_names == names


def test_grayscale_and_image_size_resize_mixed_images(tmp_path):
    root, _ = write_image_folder(tmp_path / "imgs", classes=2, per_class=4, size=(8, 8))
    Image.new("RGB", (12, 10), (255, 0, 0)).save(root / "class_a" / "wide.png")  # 10x12
    source = FolderSource(root, image_size=[6, 6], color_mode="grayscale", val_split=0, seed=0)
    assert source.input_shape == (6, 6, 1)
    x, _ = source.splits().sample("train", 10)
    assert x.shape == (len(x), 6, 6, 1) and 0.0 <= x.min() <= x.max() <= 1.0


def test_images_are_read_from_disk_batch_by_batch(tmp_path):
    root, _ = write_image_folder(tmp_path / "imgs", classes=2, per_class=4)
    data = FolderSource(root, val_split=0, seed=0).splits()
    assert isinstance(data.train, FilePart)
    # Rewriting a file after the pipelines exist changes what they read: nothing was loaded.
    Image.new("RGB", (8, 8), (255, 255, 255)).save(data.test.paths[0])
    x, _ = data.sample("test", 1)
    assert x.min() == 1.0
    cached = FolderSource(root, val_split=0, seed=0, cache=True).splits()
    assert isinstance(cached.train, ArrayPart)  # cache=true: decoded once, kept in memory


def unreadable(root):
    (root / "class_a" / "broken.png").write_text("not an image")


def cut_short(suffix: str, keep: float = 0.6):
    """Writes class_a/cut.SUFFIX whose header is valid but whose body is cut short."""

    def spoil(root):
        noise = np.random.default_rng(0).integers(0, 256, (64, 64, 3), dtype="uint8")
        path = root / "class_a" / f"cut{suffix}"
        Image.fromarray(noise).save(path)
        data = path.read_bytes()
        path.write_bytes(data[: int(len(data) * keep)])

    return spoil


def corrupt_png(root):
    """A PNG with its size and length intact but bytes of its pixel data zeroed."""
    path = root / "class_a" / "corrupt.png"
    Image.fromarray(np.full((64, 64, 3), 7, "uint8")).save(path)
    data = bytearray(path.read_bytes())
    data[len(data) // 2 : len(data) // 2 + 8] = bytes(8)
    path.write_bytes(bytes(data))


def train_without_test(root):
    (root / "train").mkdir()
    for name in ("class_a", "class_b"):
        (root / name).rename(root / "train" / name)


def mixed_sizes(root):
    Image.new("RGB", (5, 7), 0).save(root / "class_b" / "other.png")


@pytest.mark.parametrize(
    "spoil, kwargs, message",
    [
        (lambda r: None, {"path": "missing"}, "missing: no such folder"),
        (lambda r: [p.unlink() for p in r.rglob("*.png")], {}, "holds no images in class"),
        (unreadable, {}, "broken.png is not a readable image"),
        (cut_short(".png"), {}, "cut.png is not a readable image, or is truncated .* re-save it"),
        (cut_short(".jpg"), {}, "cut.jpg is .* truncated or corrupt .* no end-of-image marker"),
        (cut_short(".bmp"), {}, "cut.bmp is .* truncated or corrupt"),
        (corrupt_png, {}, "corrupt.png is .* truncated or corrupt"),
        (mixed_sizes, {}, r"different sizes .* set dataset.image_size=\[H,W\]"),
        (lambda r: None, {"color_mode": "cmyk"}, "color_mode='cmyk' must be rgb or grayscale"),
        (lambda r: None, {"num_classes": 5}, "has 2 classes .* but dataset.num_classes=5"),
        (lambda r: None, {"image_size": [8]}, r"image_size=\[8\] must be \[height, width\]"),
        (train_without_test, {"test_split": 0}, "test_split=0 without ROOT/test/"),
    ],
)
def test_folder_mistakes_are_one_line_before_any_image_is_decoded(tmp_path, spoil, kwargs, message):
    root, _ = write_image_folder(tmp_path / "imgs", classes=2, per_class=3)
    spoil(root)
    path = tmp_path / kwargs.pop("path") if "path" in kwargs else root
    with pytest.raises(LlexpError, match=message) as error:
        FolderSource(path, **kwargs)
    assert "\n" not in str(error.value)


def test_config_counts_the_classes_for_the_model(tmp_path, tiny_cfg):
    from llexp.errors import instantiate

    root, _ = write_image_folder(tmp_path / "imgs", classes=4, per_class=3)
    cfg = tiny_cfg("dataset=folder", f"dataset.path={root}", "dataset.subset=null")
    assert cfg.model.num_classes == 4
    assert instantiate(cfg.dataset).num_classes == 4


@pytest.mark.slow
@pytest.mark.parametrize("trainer", ["fit", "tape"])
def test_a_folder_of_pngs_trains_standardised_and_augmented_and_reloads(trainer, tmp_path):
    """As a new user runs it: the command line on a folder of PNGs, then `llexp.load_model`
    predicting on images read from the files (pixels / 255), as the run's test accuracy says."""
    import json

    from llexp import load_model

    from helpers import run_llexp

    root, names = write_image_folder(tmp_path / "pngs", classes=3, per_class=12, size=(8, 8))
    done = run_llexp(
        "dataset=folder",
        f"dataset.path={root}",
        "dataset.normalize=standardize",
        "dataset.augment=[{_target_:keras.layers.RandomFlip,mode:horizontal,seed:0}]",
        f"trainer={trainer}",
        "model.width=4",
        "model.dense_units=8",
        "trainer.epochs=2",
        "trainer.verbose=0",
        "hydra.run.dir=run",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    run_dir = tmp_path / "run"
    metrics = json.loads((run_dir / "metrics.json").read_text())
    assert metrics["status"] == "completed" and set(metrics["per_class"]) == set(names)
    assert (run_dir / "augmented.png").is_file()
    test = FolderSource(root, seed=42).splits().test  # the run's test split (seed 42)
    x = np.stack([np.asarray(Image.open(p), dtype="float32") / 255.0 for p in test.paths])
    model = load_model(run_dir)
    assert [layer.name for layer in model.layers[:2]] == ["image", "standardize"]
    accuracy = np.mean(model.predict(x, verbose=0).argmax(-1) == test.labels)
    assert accuracy == pytest.approx(metrics["test_accuracy"], abs=1e-6)


def test_python_api_takes_an_image_folder(tmp_path):
    import llexp

    root, _ = write_image_folder(tmp_path / "imgs", classes=2, per_class=6)
    model = llexp.make_lenet_model(str(root), width=4, depth=1, dense_units=4)
    assert model.input_shape == (None, 8, 8, 3) and model.output_shape == (None, 2)
    history = llexp.fit_model_on(
        str(root),
        epochs=1,
        width=4,
        depth=1,
        out_dir=tmp_path / "run",
        overrides=("model.dense_units=4", "trainer.verbose=0", "dataset.val_split=0"),
    )
    assert len(history["loss"]) == 1 and (tmp_path / "run" / "per_class_metrics.csv").is_file()


def move_into(root, part, count=None):
    """Moves the first `count` images of each class folder into ROOT/<part>/<class>/."""
    for name in ("class_a", "class_b"):
        target = root / part / name
        target.mkdir(parents=True)
        for image in sorted((root / name).glob("*.png"))[:count]:
            image.rename(target / image.name)


@pytest.mark.parametrize("val_name", ["valid", "val"])
def test_train_with_valid_and_no_test_splits_the_test_set_from_train(tmp_path, val_name):
    root, _ = write_image_folder(tmp_path / "imgs", classes=2, per_class=8)
    move_into(root, val_name, count=3)
    move_into(root, "train")
    data = FolderSource(root, test_split=0.2, val_split=0.5, seed=0).splits()
    assert len(data.val) == 6 and all(f"/{val_name}/" in p for p in data.val.paths)
    assert (len(data.train), len(data.test)) == (8, 2)  # the 10 of train/, test split from it
    assert all("/train/" in p for p in [*data.train.paths, *data.test.paths])


def test_train_valid_and_test_folders_are_used_as_they_are(tmp_path):
    root, names = write_image_folder(tmp_path / "imgs", classes=2, per_class=9)
    move_into(root, "valid", count=2)
    move_into(root, "test", count=3)
    move_into(root, "train")
    data = FolderSource(root, val_split=0.5, seed=0).splits()
    assert (len(data.train), len(data.val), len(data.test)) == (8, 4, 6)
    assert data.class_names == names
    assert all("/valid/" in p for p in data.val.paths)


def unlabelled_folder(root, count=12):
    root.mkdir()
    rng = np.random.default_rng(0)
    for i in range(count):
        Image.fromarray((rng.random((8, 8, 3)) * 255).astype("uint8")).save(root / f"{i}.png")
    return root


def test_a_folder_without_class_subfolders_trains_an_autoencoder(tmp_path, tiny_cfg):
    from llexp.checks import check_config
    from llexp.runner import run

    root = unlabelled_folder(tmp_path / "imgs")
    source = FolderSource(root, val_split=2, test_split=2, seed=0)
    assert source.num_classes == 1 and source.no_labels
    cfg = compose(
        *[o for o in TINY if not o.startswith("model.")], "dataset=folder",
        f"dataset.path={root}", "dataset.subset=null", "model=autoencoder", "model.width=4",
        "model.depth=1", "model.visualization_size=2",
    )  # fmt: skip
    result = run(cfg, tmp_path / "run")
    assert result.metrics["status"] == "completed"
    assert (tmp_path / "run" / "encoder.json").is_file()
    with pytest.raises(LlexpError, match="in no class subfolders, but model=lenet learns from"):
        check_config(tiny_cfg("dataset=folder", f"dataset.path={root}", "dataset.subset=null"))


def test_one_class_is_refused_for_a_classifier_only(tmp_path, tiny_cfg):
    from llexp.checks import check_config

    root, _ = write_image_folder(tmp_path / "imgs", classes=1, per_class=6)
    folder = ["dataset=folder", f"dataset.path={root}", "dataset.subset=null"]
    with pytest.raises(LlexpError, match=r"holds one class \(class_a\), but model=lenet") as e:
        check_config(tiny_cfg(*folder))
    assert "\n" not in str(e.value)
    ae = compose(*[o for o in TINY if not o.startswith("model.")], *folder, "model=autoencoder")
    assert check_config(ae).family.name == "autoencoder"
