"""Operator commands: `python -m ops check|probe` inspect a deployed stack, `render` writes a
Kubernetes stack's manifests for review, `pr-check` summarises a change, `backup` and `restore`
copy a stack's Postgres database to a file (mode 0600) and back (see --help)."""
