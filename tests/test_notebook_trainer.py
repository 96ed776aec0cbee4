"""The classic notebook's cells, run against `llexp.Trainer`: its own `Trainer` class is replaced
by llexp's (an import), the data is scikit-learn's digits instead of a download, and each `...`
the student fills in is filled with the simplest answer. Everything else is the notebook's code,
cell by cell: an unbuilt `Sequential` model, no `metrics=`, `fit` with positional arguments,
`plot_history()`, `predictions[i].numpy()`."""

import matplotlib
import numpy as np
import pytest

matplotlib.use("Agg")

# The imports the notebook's first cells make, plus llexp's Trainer in place of its own class.
IMPORTS = """
import tensorflow as tf
import matplotlib.pyplot as plt
from llexp import Trainer
"""

# "Load data" cell: digits (1,797 8x8 images, 0-16) instead of MNIST's download, in the shapes
# and dtypes the notebook's cells expect (uint8 images, integer labels).
DATA = """
from sklearn.datasets import load_digits
digits = load_digits()
images = (digits.images * 255 / 16).astype("uint8")
(x_train, y_train), (x_test, y_test) = (images[:1400], digits.target[:1400]), (
    images[1400:], digits.target[1400:])
"""

# The notebook's preparation cells with their `...` filled in.
PREPARE = """
# Normalize data
x_train = x_train / 255.0
x_test = x_test / 255.0
# Add channel dimension
x_train = x_train[..., None]
x_test = x_test[..., None]
# Split train val
x_val, y_val = x_train[:300], y_train[:300]
x_train, y_train = x_train[300:], y_train[300:]
"""

SAMPLES_CELL = """
# Plot grid with first 25 training images with their corresponding label
plt.figure(figsize=(10, 10))
for i in range(25):
    plt.subplot(5, 5, i+1)
    plt.xticks([])
    plt.yticks([])
    plt.imshow(x_train[i].squeeze(), cmap='gray')
    plt.title(y_train[i])
plt.show()
"""

FC_CELL = """
# Define model, for a fully-connected network the input must be properly adapted
model = tf.keras.Sequential([
            tf.keras.layers.Flatten(),
            tf.keras.layers.Dense(10, activation="softmax"),
        ])

# Set hyperparameters
loss_function = tf.keras.losses.SparseCategoricalCrossentropy()
optimizer = tf.keras.optimizers.Adam(0.01)
epochs = 3

# Initialize trainer
mnist_fc_trainer = Trainer(model=model,
                           loss_function=loss_function,
                           optimizer=optimizer)

# Train model
mnist_fc_trainer.fit(x_train, y_train, x_val, y_val, epochs)

# Plot training history
mnist_fc_trainer.plot_history()

# Evaluate on test set
test_acc = tf.keras.metrics.SparseCategoricalAccuracy(name='test_acc')
predictions = mnist_fc_trainer.predict(x_test)
test_acc(y_test, predictions)
print(f'Test accuracy: {test_acc.result()*100.:.2f}%')
"""

CNN_MODEL = """
model = tf.keras.Sequential([
    tf.keras.layers.Conv2D(8, 3, activation="relu"),
    tf.keras.layers.BatchNormalization(momentum=0.9),
    tf.keras.layers.MaxPooling2D(),
    tf.keras.layers.Flatten(),
    tf.keras.layers.Dropout(0.2),
    tf.keras.layers.Dense(10, activation="softmax"),
])
"""

CNN_CELL = """
# Set hyperparameters
loss_function = "sparse_categorical_crossentropy"
optimizer = tf.keras.optimizers.Adam(0.01)
epochs = 3

# Initialize trainer
fashion_cnn_trainer = Trainer(model=model,
                              loss_function=loss_function,
                              optimizer=optimizer)

# Train model
fashion_cnn_trainer.fit(x_train, y_train, x_val, y_val, epochs)

# Plot training history
fashion_cnn_trainer.plot_history()

# Evaluate on test set
test_acc = tf.keras.metrics.SparseCategoricalAccuracy(name='test_acc')
predictions = fashion_cnn_trainer.predict(x_test)
test_acc(y_test, predictions)
print(f'Test accuracy: {test_acc.result()*100.:.2f}%')
"""

PREDICTIONS_CELLS = """
class_names = [str(d) for d in range(10)]
# Plot grid with first 25 test images with their predicted and true label
plt.figure(figsize=(10,10))
for i in range(25):
    plt.subplot(5, 5, i+1)
    plt.xticks([])
    plt.yticks([])
    plt.imshow(x_test[i].squeeze(), cmap='gray')
    pred = predictions[i].numpy().argmax()
    true = y_test[i]
    color = 'green' if pred == true else 'red'
    plt.title(f'{class_names[pred]} | {class_names[true]}', color=color)
plt.show()

# Plot grid with first 40 test images with the model probabilities
plt.figure(figsize=(20, 16))
for i in range(40):
    plt.subplot(8, 10, (i*2)+1)
    plt.xticks([])
    plt.yticks([])
    plt.imshow(x_test[i].squeeze(), cmap='gray')
    pred = predictions[i].numpy().argmax()
    true = y_test[i]
    color = 'green' if pred == true else 'red'
    plt.title(f'{class_names[pred]} | {class_names[true]}', color=color)
    plt.subplot(8, 10, (i*2)+2)
    barplt = plt.bar(list(range(len(class_names))), predictions[i].numpy(),
                     color='gray')
    barplt[pred].set_color('red')
    barplt[true].set_color('blue')
plt.show()
plt.close("all")
"""


@pytest.fixture(scope="module")
def notebook():
    cells = {}
    for cell in (IMPORTS, DATA, PREPARE, SAMPLES_CELL):
        exec(cell, cells)
    return cells


def test_the_fully_connected_cell_trains_an_unbuilt_model_with_accuracy(notebook, capsys):
    cells = dict(notebook)
    exec(FC_CELL, cells)
    history = cells["mnist_fc_trainer"].history
    assert set(history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert len(history["loss"]) == 3
    accuracy = float(cells["test_acc"].result())
    assert accuracy > 0.8  # chance is 0.1
    assert f"Test accuracy: {accuracy * 100:.2f}%" in capsys.readouterr().out


def test_the_cnn_cells_and_the_prediction_figures_run(notebook):
    cells = dict(notebook)
    exec(CNN_MODEL, cells)
    exec(CNN_CELL, cells)
    exec(PREDICTIONS_CELLS, cells)
    assert float(cells["test_acc"].result()) > 0.5
    assert isinstance(cells["predictions"], np.ndarray)
    assert cells["predictions"][0].numpy().shape == (10,)


def test_a_second_fit_continues_the_history_and_the_training(notebook):
    cells = dict(notebook)
    exec(FC_CELL, cells)
    trainer = cells["mnist_fc_trainer"]
    first = {k: list(v) for k, v in trainer.history.items()}
    weights = [w.copy() for w in trainer.model.get_weights()]
    history = trainer.fit(cells["x_train"], cells["y_train"], cells["x_val"], cells["y_val"], 2)
    assert all(history[k][:3] == first[k] for k in first)
    assert all(len(v) == 5 for v in history.values())
    after = trainer.model.get_weights()
    assert any(not np.array_equal(a, b) for a, b in zip(weights, after, strict=True))
    assert trainer.plot_history() is not None
