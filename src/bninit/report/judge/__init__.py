"""What a report judges: which comparisons and seed pairs, their tests and marks, each cell's
reproduction verdict and the paper's claims. Numbers and verdicts only; the words are the writers'."""
