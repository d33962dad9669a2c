"""Runs many command lines of the docs in one process, so the suite pays Python's and torch's
start-up once (tests/doc_commands.py starts it in the docs' sandbox): `bninit ...` through
`bninit.cli.main.main`, the function the installed command calls; `python -c CODE` by exec.
Reads a JSON list of argv lists on stdin; prints a JSON list of [exit code, stdout, stderr, seconds]."""

import contextlib
import io
import json
import sys


def run_one(argv: list[str]) -> tuple[int, str, str, float]:
    import time

    from hydra.core.global_hydra import GlobalHydra

    from bninit.cli.main import main

    out, err, start = io.StringIO(), io.StringIO(), time.perf_counter()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        try:
            if argv[0] == "python":
                exec(compile(argv[2], "<string>", "exec"), {"__name__": "__main__"})
                code = 0
            else:
                sys.argv = ["bninit", *argv[1:]]
                code = main(argv[1:]) or 0
        except SystemExit as exit_:
            code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
    GlobalHydra.instance().clear()  # each line composes its config afresh, as a new process would
    return code, out.getvalue(), err.getvalue(), time.perf_counter() - start


if __name__ == "__main__":
    real_stdout = sys.stdout
    results = [run_one(argv) for argv in json.load(sys.stdin)]
    real_stdout.write(json.dumps(results))
