"""bninit's Hydra sweeper, where Hydra looks for plugins (the hydra_plugins namespace).

The logic lives in bninit.sweep.sweeper; this subclass only gives it the module path Hydra requires
(`hydra/sweeper=cells` instantiates hydra_plugins.bninit_sweeper.CellSweeper).
"""

from bninit.sweep import sweeper


class CellSweeper(sweeper.CellSweeper):
    """Cells x seeds on Hydra's sweeper interface; plans, skips finished runs, launches the rest."""
