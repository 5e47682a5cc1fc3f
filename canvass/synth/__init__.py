"""Synthetic photos of filled worksheets, with ground truth, for testing the reader."""
