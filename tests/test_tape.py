"""`TapeLoop` (`llexp.Trainer`), the GradientTape loop, on plain arrays: history, evaluation,
callbacks."""

import keras
import numpy as np
import pytest

from llexp.data import array_splits
from llexp.trainers import FitTrainer, TapeLoop, TapeTrainer


def blobs(n=96, seed=0):
    """8x8 images of two learnable classes (class 1 is brighter)."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    x = rng.random((n, 8, 8, 1)) * 0.5 + 0.4 * y.reshape(-1, 1, 1, 1)
    return x.astype("float32"), y.astype("int32")


def classifier():
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Flatten()(inputs)
    x = keras.layers.Dense(8, activation="relu")(x)
    return keras.Model(inputs, keras.layers.Dense(2, activation="softmax")(x))


def autoencoder():
    """A tiny reconstruction model, shaped like the autoencoder family (targets = inputs)."""
    inputs = keras.Input((8, 8, 1))
    x = keras.layers.Dense(4, activation="relu")(keras.layers.Flatten()(inputs))
    x = keras.layers.Dense(64, activation="sigmoid")(x)
    return keras.Model(inputs, keras.layers.Reshape((8, 8, 1))(x))


def accuracy():
    return [keras.metrics.SparseCategoricalAccuracy(name="accuracy")]


def test_trainer_on_plain_arrays_learns_and_keeps_a_fit_shaped_history(tmp_path):
    keras.utils.set_random_seed(0)
    x, y = blobs()
    xv, yv = blobs(32, seed=1)
    adam = keras.optimizers.Adam(0.01)
    trainer = TapeLoop(classifier(), "sparse_categorical_crossentropy", adam, accuracy())
    history = trainer.fit(x, y, xv, yv, epochs=10, batch_size=16, verbose=0)
    assert history is trainer.history
    assert {"loss", "accuracy", "val_loss", "val_accuracy"} <= set(history)
    assert all(len(v) == 10 for v in history.values())
    assert history["loss"][-1] < history["loss"][0]
    result = trainer.evaluate(xv, yv)
    assert set(result) == {"loss", "accuracy"}
    assert result["accuracy"] > 0.8  # separable blobs; chance is 0.5
    assert result["loss"] == pytest.approx(history["val_loss"][-1], rel=1e-5)
    assert trainer.predict(xv).shape == (32, 2)
    trainer.plot_history(tmp_path / "h.png")
    assert (tmp_path / "h.png").stat().st_size > 10_000


def test_history_loss_averages_over_samples_like_keras_evaluate():
    keras.utils.set_random_seed(0)
    x, y = blobs(50)  # batches of 16, 16, 16, 2: a batch mean would weigh the last 2 images as 16
    model = classifier()
    trainer = TapeLoop(model, keras.losses.SparseCategoricalCrossentropy(), "sgd", accuracy())
    ours = trainer.evaluate(x, y, batch_size=16)
    model.compile(loss="sparse_categorical_crossentropy", metrics=accuracy())
    theirs = model.evaluate(x, y, batch_size=16, verbose=0, return_dict=True)
    assert ours == pytest.approx(theirs, rel=1e-5)


@pytest.mark.parametrize("name, loss", [("mse", keras.losses.MeanSquaredError())])
def test_a_loss_given_by_name_trains_exactly_like_the_loss_object(name, loss):
    x, _ = blobs(32)
    weights = []
    for loss_function in (name, loss):
        keras.utils.set_random_seed(0)
        trainer = TapeLoop(autoencoder(), loss_function, keras.optimizers.SGD(0.1))
        trainer.fit(x, x, epochs=1, batch_size=16, verbose=0)
        weights.append(trainer.model.get_weights())
    for by_name, by_object in zip(*weights, strict=True):
        np.testing.assert_allclose(by_name, by_object, rtol=1e-6)


def test_one_code_path_trains_a_reconstruction_model(tmp_path):
    keras.utils.set_random_seed(0)
    x, _ = blobs()
    xv, _ = blobs(32, seed=1)
    mse = [keras.metrics.MeanSquaredError(name="mse")]
    trainer = TapeLoop(autoencoder(), "mse", keras.optimizers.Adam(0.01), mse)
    history = trainer.fit(x, x, xv, xv, epochs=5, batch_size=16, verbose=0)
    assert set(history) == {"loss", "mse", "val_loss", "val_mse"}
    assert history["val_mse"][-1] < history["val_mse"][0]
    assert trainer.predict(xv).shape == xv.shape


def test_both_trainers_write_the_same_history_for_a_reconstruction_model(tmp_path):
    x, _ = blobs()
    headers, keys = {}, {}
    for trainer in (FitTrainer(epochs=2, verbose=0), TapeTrainer(epochs=2, verbose=0)):
        out = tmp_path / type(trainer).__name__
        out.mkdir()
        keras.utils.set_random_seed(0)
        mse = [keras.metrics.MeanSquaredError(name="mse")]
        model, optimizer = autoencoder(), keras.optimizers.Adam()
        loss = keras.losses.MeanSquaredError()
        data = array_splits(x, x, x, x)
        train, val = data.train_batches(32, 0, 2), data.batches("val", 32)
        history = trainer.train(
            model, loss, mse, optimizer, train, val, out, data.steps_per_epoch(32)
        )
        headers[type(trainer).__name__] = (out / "history.csv").read_text().splitlines()[0]
        keys[type(trainer).__name__] = sorted(history)
        assert all(len(values) == 2 for values in history.values())  # one value per epoch
        assert (out / "best.weights.h5").exists()
    assert headers["FitTrainer"] == headers["TapeTrainer"]
    assert headers["TapeTrainer"] == "epoch,learning_rate,loss,mse,val_loss,val_mse"
    assert keys["FitTrainer"] == keys["TapeTrainer"]
    assert keys["TapeTrainer"] == ["learning_rate", "loss", "mse", "val_loss", "val_mse"]


class BatchCounter(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.batches = 0

    def on_train_batch_end(self, batch, logs=None):
        self.batches += 1


def test_early_stopping_stops_the_tape_loop():
    x, y = blobs()
    trainer = TapeLoop(classifier(), "sparse_categorical_crossentropy", "adam", accuracy())
    # min_delta=10: no epoch after the first can improve enough, so patience 0 stops epoch 2.
    stop = keras.callbacks.EarlyStopping(monitor="val_loss", patience=0, min_delta=10.0)
    history = trainer.fit(x, y, x, y, epochs=10, batch_size=32, callbacks=[stop], verbose=0)
    assert len(history["loss"]) == 2 and stop.stopped_epoch == 1


def test_checkpoint_writes_the_best_weights(tmp_path):
    x, y = blobs()
    model = classifier()
    path = tmp_path / "best.weights.h5"
    checkpoint = keras.callbacks.ModelCheckpoint(
        str(path), monitor="val_loss", save_best_only=True, save_weights_only=True
    )
    trainer = TapeLoop(model, "sparse_categorical_crossentropy", "adam", accuracy())
    trainer.fit(x, y, x, y, epochs=2, batch_size=32, callbacks=[checkpoint], verbose=0)
    assert checkpoint.best == pytest.approx(min(trainer.history["val_loss"]))
    fresh = classifier()
    fresh.load_weights(str(path))  # a real Keras weights file for this architecture


def test_nan_loss_stops_the_tape_loop_after_one_batch():
    x, _ = blobs()
    x[:] = np.nan  # (cross-entropy clips NaN probabilities to a finite loss; MSE does not)
    counter = BatchCounter()
    trainer = TapeLoop(autoencoder(), "mse", "sgd")
    history = trainer.fit(
        x,
        x,
        epochs=5,
        batch_size=16,
        callbacks=[keras.callbacks.TerminateOnNaN(), counter],
        verbose=0,
    )
    assert counter.batches == 1 and len(history["loss"]) == 1
    assert np.isnan(history["loss"][0])


def test_progress_bar_is_keras_s_and_verbose_0_is_silent(capsys):
    x, y = blobs(32)
    trainer = TapeLoop(classifier(), "sparse_categorical_crossentropy", "adam", accuracy())
    trainer.fit(x, y, epochs=1, batch_size=16, verbose=0)
    assert capsys.readouterr().out == ""
    trainer.fit(x, y, epochs=2, batch_size=16, verbose=2)
    out = capsys.readouterr().out
    assert "Epoch 2/2" in out and "2/2 - " in out and "accuracy: " in out
