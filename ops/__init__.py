"""Operator commands: `python -m ops check|probe` inspect a deployed stack, `render` writes a
Kubernetes stack's manifests for review, `pr-check` summarises a change (see --help)."""
