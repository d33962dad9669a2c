"""One run of the protocol: the training loop (train), its fast path (fastpath), host memory."""
