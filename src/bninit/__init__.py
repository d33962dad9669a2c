"""bninit: reproducible sweeps for 'Revisiting Batch Norm Initialization' (Davis & Frank, ECCV 2022)."""

__version__ = "0.1.0"
