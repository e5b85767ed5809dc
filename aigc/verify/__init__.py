"""Verification of generated code: tests from examples, the model and the user; ranking; repair."""
