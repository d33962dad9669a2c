"""What a report reads: a study's CSV and its layout, the paper's tables and claims (shipped as
CSVs beside these modules), and the options asked for."""
