"""rnnlab's own recurrent cells, subclasses of Keras classes: imported by training workers only.

The exported standalone script copies these classes' source from this file (``rnnlab.models.export`` reads it as
text, without importing it), so the script and the trained model share one definition.
"""

from __future__ import annotations

import keras


@keras.saving.register_keras_serializable(package="rnnlab")
class LNSimpleRNNCell(keras.layers.Layer):
    """SimpleRNNCell without activation -> LayerNormalization -> tanh (the book's custom cell)."""

    def __init__(self, units, activation="tanh", **kwargs):
        super().__init__(**kwargs)
        self.units = units
        self.state_size = units
        self.output_size = units
        self.simple_rnn_cell = keras.layers.SimpleRNNCell(units, activation=None)
        self.layer_norm = keras.layers.LayerNormalization()
        self.activation = keras.activations.get(activation)

    def build(self, input_shape):
        self.simple_rnn_cell.build(input_shape)
        self.layer_norm.build((input_shape[0], self.units))
        self.built = True

    def call(self, inputs, states, training=False):
        outputs, new_states = self.simple_rnn_cell(inputs, states)
        norm_outputs = self.activation(self.layer_norm(outputs))
        return norm_outputs, [norm_outputs]

    def get_config(self):
        config = super().get_config()
        config.update({"units": self.units, "activation": keras.activations.serialize(self.activation)})
        return config
