"""The errors that reach the user as one line and an exit code; only the CLI prints them, as
`bninit <subcommand>: error: <message>`."""


class UserError(Exception):
    """Bad input from the user (config value, missing data, ...): printed as one line, exit 2."""

    exit_code = 2


class RunError(UserError):
    """Runs failed or a launcher stopped (not the user's input): one line, exit code 1."""

    exit_code = 1


class Stop(BaseException):  # noqa: N818 (it stops the command; it is not an error of its own)
    """A UserError on its way out of a Hydra plugin or task to the CLI.

    Hydra's main function catches every Exception and prints it as a traceback (exit 1); a
    BaseException passes through it, as KeyboardInterrupt does, so the CLI can print the error's
    one line and exit with its code."""

    def __init__(self, error: UserError) -> None:
        super().__init__(str(error))
        self.error = error


def first_line(err: Exception) -> str:
    """The first line of an exception's message (Hydra's and OmegaConf's run to several)."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
