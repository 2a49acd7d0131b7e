"""The gateway's generated secrets (S1, S2, S3, S5), all of them Pulumi secrets end to end."""

from typing import NotRequired, TypedDict

import pulumi
import pulumi_random as random

#: S2/S3: 64 alphanumeric characters carry ~381 bits, above the 32 random bytes required.
KEY_LENGTH = 64
#: S5: alphanumeric, so the password is safe inside DATABASE_URL without escaping.
PASSWORD_LENGTH = 40


class GatewaySecretsArgs(TypedDict):
    existing_salt_key: NotRequired[pulumi.Input[str] | None]
    """S1: the salt key of a running deployment to adopt; without it one is generated and
    protected. Changing the salt key makes every credential stored in the database unreadable."""


class GatewaySecrets(pulumi.ComponentResource):
    """Master key, salt key, drain token and data-store passwords."""

    master_key: pulumi.Output[str]
    salt_key: pulumi.Output[str]
    drain_token: pulumi.Output[str]
    postgres_password: pulumi.Output[str]
    redis_password: pulumi.Output[str]

    def __init__(self, name: str, args: GatewaySecretsArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("litellm-gateway:index:GatewaySecrets", name, {}, opts)

        def password(suffix: str, length: int, *, protect: bool = False) -> pulumi.Output[str]:
            resource = random.RandomPassword(
                f"{name}-{suffix}",
                length=length,
                special=False,
                opts=pulumi.ResourceOptions(parent=self, protect=protect),
            )
            return pulumi.Output.secret(resource.result)

        existing = args.get("existing_salt_key")
        # S1: generated once and protected: the engine refuses to delete or replace it.
        self.salt_key = pulumi.Output.secret(existing) if existing is not None else password("salt-key", KEY_LENGTH, protect=True)
        self.master_key = pulumi.Output.secret(pulumi.Output.concat("sk-", password("master-key", KEY_LENGTH)))  # S3
        self.drain_token = password("drain-token", KEY_LENGTH)
        # S5, D6: the data directory keeps the password it was initialised with, so a new one
        # would lock the proxy out of its own database: protected like the salt key.
        self.postgres_password = password("postgres-password", PASSWORD_LENGTH, protect=True)
        self.redis_password = password("redis-password", PASSWORD_LENGTH)  # S5
        self.register_outputs(
            {
                "master_key": self.master_key,
                "salt_key": self.salt_key,
                "drain_token": self.drain_token,
                "postgres_password": self.postgres_password,
                "redis_password": self.redis_password,
            }
        )
