"""The base of every stack-settings model, shared by settings.py and the modules it composes
(exposure, external data stores, scheduling), so each keeps the same rules: camelCase keys as
in the stack file, unknown keys refused (a typo is an error, not a silent default), frozen."""

from pydantic import BaseModel, ConfigDict
from pydantic.alias_generators import to_camel


class SettingModel(BaseModel):
    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="forbid", frozen=True)
