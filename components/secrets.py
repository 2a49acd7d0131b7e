"""The gateway's generated secrets (S1, S2, S3, S5), all of them Pulumi secrets end to end."""

import hashlib
from typing import NotRequired, TypedDict

import pulumi
import pulumi_random as random

#: S2/S3: 64 alphanumeric characters carry ~381 bits, above the 32 random bytes required.
KEY_LENGTH = 64
#: S5: alphanumeric, so the password is safe inside DATABASE_URL without escaping.
PASSWORD_LENGTH = 40
#: S1: the keeper that ties an adopted salt key to the protected salt key resource.
ADOPTED_KEEPER = "existingSaltKeySha256"


def adopted_keepers(existing: pulumi.Input[str] | None) -> pulumi.Output[dict[str, str]] | None:
    """S1: an adopted salt key's fingerprint as the protected resource's keepers.

    A keeper change is a replacement, which `protect` refuses: editing `existingSaltKey`,
    removing it, or adding it to a stack whose key was generated all stop `pulumi up` at this
    resource, before the proxy sees another key. Not the engine's `import` of the key (its ID is
    the key): the engine keeps an import ID in the state as plaintext (`importID`, in every
    checkpoint and backup), which S4 forbids. The fingerprint is a Pulumi secret too."""
    if existing is None:
        return None
    digest = pulumi.Output.from_input(existing).apply(lambda key: hashlib.sha256(key.encode()).hexdigest())
    return pulumi.Output.secret(digest.apply(lambda d: {ADOPTED_KEEPER: d}))


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

        def generator(suffix: str, length: int, *, protect: bool = False, keepers=None) -> random.RandomPassword:
            return random.RandomPassword(
                f"{name}-{suffix}",
                length=length,
                special=False,
                keepers=keepers,
                opts=pulumi.ResourceOptions(parent=self, protect=protect),
            )

        def password(suffix: str, length: int, *, protect: bool = False) -> pulumi.Output[str]:
            return pulumi.Output.secret(generator(suffix, length, protect=protect).result)

        existing = args.get("existing_salt_key")
        # S1: one protected resource either way; the engine refuses to delete or replace it.
        salt = generator("salt-key", KEY_LENGTH, protect=True, keepers=adopted_keepers(existing))
        if existing is None:
            self.salt_key = pulumi.Output.secret(salt.result)
        else:
            # Through the resource's URN: the proxy waits for the salt key step, so a refused
            # change stops the update before the proxy is given another key.
            self.salt_key = pulumi.Output.secret(pulumi.Output.all(salt.urn, existing).apply(lambda pair: pair[1]))
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
