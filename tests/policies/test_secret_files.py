"""Docker secrets as files: `NAME_FILE=/run/secrets/litellm-gateway/NAME` plus an upload of that
file is NAME for the proxy (images/litellm/prod_entrypoint.sh), so the pack judges it as NAME.
The pack and the entry point must agree exactly, or a variable could be believed in (or missed)."""

from .policy_fixtures import messages, run

from components.platforms.docker import SECRET_DIR
from litellm_policies import UNKNOWN
from litellm_policies.detect import SECRET_FILE_DIR


def move_to_file(proxy, name: str, content=None, path: str | None = None) -> None:
    """Replace `NAME=value` in the proxy's envs with NAME_FILE and an upload holding the value."""
    envs = proxy.props["envs"]
    entry = next(e for e in envs if e.startswith(f"{name}="))
    envs.remove(entry)
    path = path or f"{SECRET_FILE_DIR}/{name}"
    envs.append(f"{name}_FILE={path}")
    value = entry.split("=", 1)[1] if content is None else content
    proxy.props["uploads"].append({"file": path, "content": value})


def test_the_pack_reads_the_folder_the_program_and_image_use():
    assert SECRET_FILE_DIR == SECRET_DIR == "/run/secrets/litellm-gateway"
    entrypoint = (__import__("pathlib").Path(__file__).parents[2] / "images/litellm/prod_entrypoint.sh").read_text()
    assert f"LG_SECRET_DIR={SECRET_FILE_DIR}\n" in entrypoint


def findings(vs) -> set[tuple[str, str]]:
    return {(v.rule_id, v.message) for v in vs}


def test_secrets_in_files_are_judged_like_env(docker):
    before = findings(run(docker))
    for name in ("LITELLM_MASTER_KEY", "LITELLM_SALT_KEY", "REDIS_PASSWORD"):
        move_to_file(docker["proxy"], name)
    assert findings(run(docker)) == before


def test_p6_log_level_from_a_file_is_judged(docker):
    move_to_file(docker["proxy"], "LITELLM_LOG", content="DEBUG")
    assert any("LITELLM_LOG" in m for m in messages(run(docker), "P6"))


def test_s3_master_key_in_a_file_is_judged(docker):
    move_to_file(docker["proxy"], "LITELLM_MASTER_KEY", content="m" * 48)
    msgs = messages(run(docker), "S3")
    assert msgs and "'sk-'" in msgs[0] and "m" * 48 not in msgs[0]


def test_a_file_outside_the_folder_is_not_the_variable(docker):
    """The entry point ignores it, so LiteLLM runs without a master key: S3 must say so."""
    move_to_file(docker["proxy"], "LITELLM_MASTER_KEY", path="/tmp/LITELLM_MASTER_KEY")
    assert messages(run(docker), "S3")


def test_a_named_file_that_is_not_uploaded_is_not_the_variable(docker):
    move_to_file(docker["proxy"], "LITELLM_MASTER_KEY")
    docker["proxy"].props["uploads"] = [u for u in docker["proxy"].props["uploads"] if "LITELLM_MASTER_KEY" not in u["file"]]
    assert messages(run(docker), "S3")


def test_unknown_file_content_defers_instead_of_passing(docker):
    move_to_file(docker["proxy"], "LITELLM_LOG", content=UNKNOWN)
    vs = run(docker)
    assert not messages(vs, "P6")
    assert any(v.deferred and "P6" in v.message for v in vs)
