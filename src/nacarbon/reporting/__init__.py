"""Human-readable reports written under ``experiments/``."""
