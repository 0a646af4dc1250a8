"""Suggest the next experiments: acquisition on the models' predictions, diverse batches, templates."""
