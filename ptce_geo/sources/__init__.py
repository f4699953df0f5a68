"""Readers for the official data formats, recognition of datasets, and downloads."""
