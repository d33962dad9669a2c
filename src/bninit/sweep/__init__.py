"""Studies: the jobs a study runs (jobs: cells x seeds), Hydra at the edge (compose, sweeper, the
job's task), worker placement, the end-of-sweep callback and the per-cell status table."""
