"""What a report writes: the neutral tables, their words, the Markdown and LaTeX of report.md and
report.tex, and stats.csv."""
