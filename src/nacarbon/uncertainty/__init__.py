"""Uncertainty of predictions for new samples: paper-grouped conformal intervals, a domain, lab offsets."""
