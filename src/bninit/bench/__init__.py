"""Speed and GPU measurements of bninit's own training loop: `bninit bench` (side by side with a
reference-style loop, bninit.bench.speed), `bninit bench accuracy` (does the fast path change
accuracy?) and `bninit gpu-check` (everything a GPU must show: the subpackage bninit.bench.gpu).
Each measurement runs in a process of its own through bninit.bench.worker."""
