"""litellm-gateway: a hardened LiteLLM proxy with its Postgres and Redis, as Pulumi components.

The pure core (settings, sizing, rendering) is importable without a Pulumi engine; the
component modules import Pulumi and the providers.
"""
