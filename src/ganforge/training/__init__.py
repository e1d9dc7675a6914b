"""The generic training loop, checkpoints, EMA, optimisers and reports."""
