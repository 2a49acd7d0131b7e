"""litellm-gateway: read the stack's settings, deploy the hardened gateway, export how to reach it.

A bad setting stops the program before any resource is registered, with every problem listed
(key, value, what is allowed, rule ID) and no traceback.
"""

import pulumi
from pulumi.runtime.config import get_config_env, get_config_secret_keys_env

from components.errors import CONFIG_NAMESPACE, ConfigError
from components.external_stores import url_problems, url_secret_keys
from components.gateway import Gateway
from components.settings import EXISTING_SALT_KEY, SLACK_WEBHOOK_KEY, load_settings

prefix = f"{CONFIG_NAMESPACE}:"
values = {k[len(prefix) :]: v for k, v in get_config_env().items() if k.startswith(prefix)}
secret_keys = {k[len(prefix) :] for k in get_config_secret_keys_env() if k.startswith(prefix)}
try:
    settings = load_settings(values, secret_keys)
    # The external servers' URLs are secrets: their shape is checked here, where the program
    # reads them, and no message quotes them.
    url_errors = url_problems(settings.postgres, settings.redis, {k: values[k] for k in secret_keys if k in values})
    if url_errors:
        raise ConfigError(url_errors)
except ConfigError as err:
    raise pulumi.RunError(str(err)) from None

config = pulumi.Config()
setting_keys = {k for k in values if k not in secret_keys}
gateway = Gateway(
    f"lg-{pulumi.get_stack()}",
    {
        "settings": {k: values[k] for k in setting_keys},
        "api_keys": {m.api_key_secret: config.require_secret(m.api_key_secret) for m in settings.models if m.api_key_secret},
        "slack_webhook_url": config.get_secret(SLACK_WEBHOOK_KEY),
        "existing_salt_key": config.get_secret(EXISTING_SALT_KEY),
        "store_urls": {key: config.require_secret(key) for key in url_secret_keys(settings.postgres, settings.redis)},
    },
)
pulumi.export("proxy_url", gateway.proxy_url)
pulumi.export("health_url", gateway.health_url)
pulumi.export("master_key", gateway.master_key)
pulumi.export("workers", gateway.workers)
pulumi.export("postgres_max_connections", gateway.postgres_max_connections)
pulumi.export("redis_maxclients", gateway.redis_maxclients)
pulumi.export("platform", settings.platform)
pulumi.export("namespace", settings.kubernetes.namespace if settings.platform == "kubernetes" else None)
pulumi.export("models", [{"name": m.name, "apiKeySecret": m.api_key_secret} for m in settings.models])
pulumi.export("containers", gateway.containers)
pulumi.export("redis_password", gateway.redis_password)
pulumi.export("plan", gateway.plan.as_report())
