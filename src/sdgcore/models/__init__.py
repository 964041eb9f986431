"""The model layer: endpoint configs and the backends that reach models."""
