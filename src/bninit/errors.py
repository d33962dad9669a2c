"""The one exception type that reaches the user as a one-line message and exit code 2."""


class UserError(Exception):
    """Bad input from the user (config value, missing data, ...): printed as one line, exit 2."""

    exit_code = 2


def first_line(err: Exception) -> str:
    """The first line of an exception's message (Hydra's and OmegaConf's run to several)."""
    text = str(err).strip()
    return text.splitlines()[0] if text else type(err).__name__
