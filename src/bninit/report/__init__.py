"""The report: statistics (stats), the analysis of a study's CSV (analysis), text (render), plots
and the paper's published numbers (paper)."""
