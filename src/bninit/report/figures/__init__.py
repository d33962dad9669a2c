"""The report's figures: the per-block plots, the learning curves and the gamma x lr grid (PNG,
each at-a-glance figure beside the CSV of its numbers)."""
