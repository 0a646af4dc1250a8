"""Compare every trained model family with the mean baseline (the paper's Fig. S5)."""
