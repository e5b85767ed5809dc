"""Evaluation: benchmarks (HumanEval, a user's JSONL), pass@k, raw and verified pipelines, reports."""
