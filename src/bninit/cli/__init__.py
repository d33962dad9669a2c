"""The `bninit` command: argument handling for each subcommand, nothing more."""
