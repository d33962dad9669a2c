"""The benchmark commands' argument parser: a bad argument is one line naming it, exit 2."""

import argparse

from bninit.errors import UserError


class OneLineParser(argparse.ArgumentParser):
    """argparse whose errors raise UserError (the `bninit` command prints one line and exits 2)
    instead of printing the usage block."""

    def error(self, message: str):
        raise UserError(message)
