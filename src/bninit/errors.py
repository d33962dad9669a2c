"""The one exception type that reaches the user as a one-line message and exit code 2."""


class UserError(Exception):
    """Bad input from the user (config value, missing data, ...): printed as one line, exit 2."""

    exit_code = 2
