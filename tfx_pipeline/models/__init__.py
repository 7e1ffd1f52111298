"""Trainer modules (``run_fn``) of the pipeline."""
