"""One module per platform: the only places that know Docker or Kubernetes APIs."""
