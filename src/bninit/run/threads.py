"""How many CPU threads a run uses: the CPUs it was given, never more.

Under SLURM that is the job's CPU count (SLURM_CPUS_PER_TASK, else SLURM_JOB_CPUS_PER_NODE, one
task per node as the launcher submits): a cluster without CPU binding leaves every core in the
affinity mask, and torch would start one thread per core in each job sharing the node.
Elsewhere it is the size of the process's CPU affinity mask (taskset, containers, cgroups).
"""

import os
import re
from collections.abc import Mapping

SLURM_CPU_VARS = ("SLURM_CPUS_PER_TASK", "SLURM_JOB_CPUS_PER_NODE")


def affinity_cpus() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # no affinity masks on this OS
        return os.cpu_count() or 1


def cpu_budget(environ: Mapping[str, str] = os.environ) -> int:
    """The CPUs this process was given: SLURM's count when under SLURM, else its affinity mask;
    never more than the affinity mask."""
    cpus = affinity_cpus()
    for key in SLURM_CPU_VARS:
        given = re.match(r"\d+", environ.get(key, ""))  # e.g. "4", or "4(x2)" per node
        if given and int(given.group()) > 0:
            return max(1, min(cpus, int(given.group())))
    return max(1, cpus)


def limit_threads() -> int:
    """Called at the start of a run: torch's threads = the CPU budget, or fewer if the caller
    already chose fewer (parallel sweep workers splitting the cores). Returns the count."""
    import torch

    threads = min(torch.get_num_threads(), cpu_budget())
    torch.set_num_threads(threads)
    return threads
