"""The paper's recipe in three steps: BN variants (norms), the init (init), the optimizer's groups (optim)."""
