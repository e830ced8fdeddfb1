"""Judging models: metrics, the label audit, leave-one-signer-out cross-validation, few-shot evaluation, reports, one worker pool."""
