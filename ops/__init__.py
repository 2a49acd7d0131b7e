"""Operator commands for a deployed gateway: `python -m ops check|probe` (see --help)."""
