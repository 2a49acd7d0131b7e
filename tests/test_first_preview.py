"""A new stack's first `pulumi preview` (what a pull-request check sees): nothing exists, so every
generated secret is unknown. The pack must still judge every rule whose inputs are plain, and
defer only the checks that read a secret's value; before the Docker secrets became files, the
whole env list was one unknown and D5, H1, O3, P5 and P6 deferred (seen with the real CLI)."""

import pytest
from litellm_policies.registry import evaluate
from test_components import stack_config

from devtools.mock_engine import FirstPreviewMocks, run_program
from ops.pr_check import policy_config, policy_resources

#: The only values a first preview cannot know: the master key's 'sk-' prefix is inside the
#: generated key (S3), and Redis' requirepass is inside a file or Secret built from the
#: generated password (S5).
SECRET_VALUE_CHECKS = {"S3": "the 'sk-' prefix of LITELLM_MASTER_KEY", "S5": "requirepass"}


@pytest.mark.parametrize("stack", ["dev", "prod"])
def test_first_preview_judges_every_rule_with_plain_inputs(stack):
    found = evaluate(policy_resources(run_program(stack, *stack_config(stack), FirstPreviewMocks(), preview=True)), policy_config(stack))
    violations = [v for v in found if not v.deferred]
    assert [v.rule_id for v in violations] == (["N4"] if stack == "dev" else []), [v.message for v in violations]
    deferred = {v.rule_id: v.message for v in found if v.deferred}
    assert set(deferred) == set(SECRET_VALUE_CHECKS), deferred
    for rule, what in SECRET_VALUE_CHECKS.items():
        assert what in deferred[rule], deferred[rule]


def test_the_simulated_first_preview_has_unknown_secrets():
    """The check above can fail: under FirstPreviewMocks the generated secrets are unknown."""
    regs = run_program("prod", *stack_config("prod"), FirstPreviewMocks(), preview=True)
    secret = next(r for r in policy_resources(regs) if r.name.endswith("redis-auth"))
    assert repr(secret.props["stringData"]) == "UNKNOWN"
