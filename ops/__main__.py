"""python -m ops {check,probe,render,pr-check,backup,restore} [--stack NAME] ...

Operator commands for litellm-gateway. `check` and `probe` inspect a deployed stack through
its outputs (run `source scripts/lib.sh && pulumi_stack_env dev` first, or use scripts/up) and
exit 0 only when everything passed. `render` writes a Kubernetes stack's manifests for review
without a cluster; `pr-check` summarises a change for a pull request (scripts/pr-check).
`backup` and `restore` copy a stack's Postgres database to a file and back.
"""

import argparse
import sys
import textwrap
from pathlib import Path

from components.table import render as table
from ops import check, probe
from ops.portforward import reachable
from ops.report import print_results
from ops.stack import OpsError, read

ROOT = Path(__file__).resolve().parents[1]


def _inspect(args: argparse.Namespace) -> int:
    try:
        with reachable(read(args.stack)) as deployment:
            results = check.run(deployment) if args.command == "check" else probe.run(deployment)
    except OpsError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0 if print_results(args.command, args.stack, results, args.json) else 1


def _render(args: argparse.Namespace) -> int:
    from ops import render

    try:
        found = render.render(args.stack, dict(args.set))
    except Exception as err:  # a ConfigError arrives wrapped by the engine's RunError
        print(f"error: {err}", file=sys.stderr)
        return 2
    render.write(found, args.out)
    print(table(("file", "kind", "name"), [(m.file, m.kind, m.name) for m in found]))
    secrets = sum(m.kind == "Secret" for m in found)
    print(
        f"\nwrote {len(found)} manifests to {args.out}. The {secrets} Secret(s) hold PLACEHOLDERS, never the "
        "stack's secrets: review them, do not apply them (deploy with `pulumi up`)."
    )
    return 0


def _pr_check(args: argparse.Namespace) -> int:
    from ops import pr_check

    try:
        program = args.program.resolve()
        if not (program / "__main__.py").is_file():
            raise ValueError(f"no Pulumi program (__main__.py) in {program}")
        summary = pr_check.offline(args.stack, program) if args.offline else pr_check.preview(args.stack, program)
    except (OSError, ValueError) as err:
        print(f"error: the check could not run: {err}", file=sys.stderr)
        return 2
    text = pr_check.markdown(summary)
    if args.out:
        args.out.write_text(text)
    print(text)
    return 0 if summary.passed else 1


def _backup(args: argparse.Namespace) -> int:
    from ops import backup

    return backup.main_backup(args.stack, args.file, args.force)


def _restore(args: argparse.Namespace) -> int:
    from ops import backup

    return backup.main_restore(args.stack, args.file)


SALT_KEY_NOTE = (
    "The dump holds LiteLLM's hashed keys, spend and the credentials it encrypted with the salt key "
    "(LITELLM_SALT_KEY), which is NOT in the dump: those credentials are readable only by a stack running "
    "with the source stack's salt key. Before the first `pulumi up` of the stack you restore into, adopt it: "
    "`pulumi config set --secret existingSaltKey ... --stack TARGET` with the source's existingSaltKey "
    "setting if it had one, else the generated key in its state (README, \"Backup and restore\": a pipe "
    "that never shows the key). Keep the source stack's state with the dump."
)


def _paragraphs(*texts: str) -> str:
    """A --help description of several paragraphs (argparse would run them together)."""
    return "\n\n".join(textwrap.fill(t, 88) for t in texts)


def _add_backup_commands(sub: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    text = "dump a stack's Postgres database to FILE (pg_dump --format=custom inside its container or pod)"
    cmd = sub.add_parser(
        "backup", help=text, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_paragraphs(
            text + ".",
            "FILE is created with mode 0600 and appears only once complete (a temporary file beside it is "
            "renamed); an existing FILE is never overwritten without --force. No secret is read: the "
            "container's local socket needs no password.",
            SALT_KEY_NOTE,
        ),
    )  # fmt: skip
    cmd.add_argument("--stack", default="dev", help="the stack to back up (default: dev)")
    cmd.add_argument("--force", action="store_true", help="replace FILE if it exists")
    cmd.add_argument("file", type=Path, metavar="FILE", help="the dump to write (mode 0600)")
    cmd.set_defaults(run=_backup)
    text = "restore FILE (made by `backup`) into a stack's Postgres database, replacing the objects it holds"
    cmd = sub.add_parser(
        "restore", help=text, formatter_class=argparse.RawDescriptionHelpFormatter,
        description=_paragraphs(
            f"{text}: pg_restore --clean --if-exists --no-owner --single-transaction inside the stack's "
            "container or pod, so a failed restore changes nothing. --stack is required: there is no default "
            "target. Restore before the stack takes traffic.",
            SALT_KEY_NOTE,
        ),
    )  # fmt: skip
    cmd.add_argument("--stack", required=True, help="the stack to restore into (required, no default)")
    cmd.add_argument("file", type=Path, metavar="FILE", help="a dump written by `python -m ops backup`")
    cmd.set_defaults(run=_restore)


def _key_value(text: str) -> tuple[str, object]:
    import yaml

    key, sep, value = text.partition("=")
    if not sep or not key:
        raise argparse.ArgumentTypeError(f"expected KEY=VALUE, got {text!r}")
    return key.removeprefix("litellm-gateway:"), yaml.safe_load(value)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ops", description=__doc__.split("\n\n")[1])
    sub = parser.add_subparsers(dest="command", required=True)
    for name, text in (
        ("check", "health app, proxy auth, worker count, Postgres and Redis settings vs the plan, models listed"),
        ("probe", "a minimal request to every configured model: status, latency, a hint per failure"),
    ):
        more = (
            ". On a Kubernetes stack whose URLs are in-cluster names (no ingress/loadBalancer), it opens "
            "`kubectl port-forward` to the proxy's Service (current KUBECONFIG context) and closes it when done."
        )
        cmd = sub.add_parser(name, help=text, description=text + more)
        cmd.add_argument("--stack", default="dev", help="the stack to inspect (default: dev)")
        cmd.add_argument("--json", action="store_true", help="print JSON instead of a table")
        cmd.set_defaults(run=_inspect)
    text = "write a Kubernetes stack's manifests to a folder for review (Secrets hold placeholders only)"
    cmd = sub.add_parser("render", help=text, description=text + ". " + "No cluster, provider or state is needed.")
    cmd.add_argument("--stack", default="prod", help="a kubernetes stack (default: prod)")
    cmd.add_argument("--out", type=Path, default=Path("build/manifests"), help="folder (default: build/manifests)")
    cmd.add_argument("--set", type=_key_value, action="append", default=[], metavar="KEY=VALUE",
                     help="change a config key first (VALUE is YAML), e.g. --set replicas=4; repeatable")  # fmt: skip
    cmd.set_defaults(run=_render)
    text = "a Markdown summary of a change (changes, policy violations with rule IDs) for a PR comment"
    cmd = sub.add_parser("pr-check", help=text, description=text + "; exit 1 on a mandatory violation.")
    cmd.add_argument("--stack", default="prod", help="the stack to preview (default: prod)")
    cmd.add_argument("--offline", action="store_true",
                     help="judge the program under Pulumi's mocks instead of `pulumi preview` (no providers, no backend)")  # fmt: skip
    cmd.add_argument("--out", type=Path, help="also write the Markdown to this file")
    cmd.add_argument("--program", type=Path, default=ROOT,
                     help="the checkout whose program and stack file are judged (e.g. the pull request's); the policy pack "
                     "and its enforcement config always come from this command's own checkout (default: this checkout)")  # fmt: skip
    cmd.set_defaults(run=_pr_check)
    _add_backup_commands(sub)
    args = parser.parse_args(argv)
    return args.run(args)


if __name__ == "__main__":
    sys.exit(main())
