"""Inserts, at the top of the v3.79 host's RunPlugin, "take the program from `info` when empty".

A build step of scripts/toolchain.sh (runplugin_info.go says why). It refuses to write anything
unless exactly one RunPlugin was found, so a different main.go fails the build loudly instead
of producing a host that silently runs the wrong program.
"""

import re
import sys

RUN_PLUGIN = re.compile(r"(func \(host \*pythonLanguageHost\) RunPlugin\(\n[^{]*\{\n)")
INSERTION = '\tif req.Program == "" {\n\t\treq.Program = programFromInfo(req)\n\t}\n'


def patch(source: str) -> str:
    patched, count = RUN_PLUGIN.subn(lambda m: m.group(1) + INSERTION, source)
    if count != 1:
        raise SystemExit(f"expected exactly one RunPlugin in main.go, found {count}: not patched")
    return patched


if __name__ == "__main__":
    path = sys.argv[1]
    with open(path) as f:
        text = f.read()
    with open(path, "w") as f:
        f.write(patch(text))
