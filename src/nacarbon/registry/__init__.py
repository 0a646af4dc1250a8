"""Model registry: choosing, registering and promoting the best model per target."""
