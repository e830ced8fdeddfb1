"""The networks: architecture builders, input features, training recipes, the model bundle and tutorial-era loading."""
