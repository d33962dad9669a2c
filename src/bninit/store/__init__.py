"""The run store: a directory per run (rundir), atomic files, locks, and reading runs back (collect)."""
