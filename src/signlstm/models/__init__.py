"""The networks: architecture builders, input features, training recipes, the model bundle and tutorial-era loading."""
from .. import import_keras

import_keras()  # before any module here imports Keras: without the extras it would import for nothing
