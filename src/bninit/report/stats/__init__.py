"""The statistics of a report: pure functions of numbers (paired t, Holm, Wilcoxon; power and
sample size; Welch and TOST), checked against scipy and worked examples."""
