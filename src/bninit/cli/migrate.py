"""`bninit migrate RUNS_DIR`: move every run dir an earlier identity version named to the name the
current version gives it (one line per run; runs a live process holds are left and reported)."""

import sys
from pathlib import Path

from bninit.errors import UserError

USAGE = """usage: bninit migrate RUNS_DIR

Moves every run dir under RUNS_DIR that an earlier bninit named differently to the name this
version gives it, so finished runs stay done and interrupted ones resume. One line per moved run;
a run a live process is training is left where it is and reported. A sweep does the same for its
own runs before it starts; nothing to do when bninit's run identity has not changed."""


def migrate_main(args: list[str]) -> int:
    from bninit.store.adopt import migrate
    from bninit.store.identity import IDENTITY_VERSION

    if not args or args[0] in ("-h", "--help"):
        print(USAGE)
        return 0 if args else 2
    if len(args) > 1:
        raise UserError(f"unexpected argument '{args[1]}'; usage: bninit migrate RUNS_DIR")
    moves = migrate(Path(args[0]))
    for move in moves:
        print(move.line(), file=sys.stdout if move.outcome == "moved" else sys.stderr)
    moved = sum(m.outcome == "moved" for m in moves)
    left = len(moves) - moved
    print(f"migrate: {moved} run dirs moved to identity version {IDENTITY_VERSION}, {left} left")
    return 1 if left else 0
