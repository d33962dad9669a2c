"""A run uses the CPUs it was given: SLURM's count under SLURM, else the affinity mask, never more."""

import pytest
import torch

from bninit.run import threads


@pytest.fixture
def four_cpus(monkeypatch):
    monkeypatch.setattr(threads.os, "sched_getaffinity", lambda pid: {0, 1, 2, 3}, raising=False)


@pytest.mark.parametrize(
    ("environ", "budget"),
    [
        ({}, 4),  # no SLURM: the affinity mask
        ({"SLURM_CPUS_PER_TASK": "2"}, 2),  # the job's cpus_per_task
        ({"SLURM_CPUS_PER_TASK": "8"}, 4),  # never more than the mask
        ({"SLURM_JOB_CPUS_PER_NODE": "3(x2)"}, 3),  # no cpus_per_task: the job's CPUs here
        ({"SLURM_CPUS_PER_TASK": "1", "SLURM_JOB_CPUS_PER_NODE": "3"}, 1),
        ({"SLURM_CPUS_PER_TASK": ""}, 4),
    ],
)
def test_cpu_budget(four_cpus, environ, budget):
    assert threads.cpu_budget(environ) == budget


def test_limit_threads_caps_torch_and_keeps_a_lower_choice(four_cpus, monkeypatch):
    before = torch.get_num_threads()
    try:
        monkeypatch.setenv("SLURM_CPUS_PER_TASK", "2")
        torch.set_num_threads(4)
        assert threads.limit_threads() == 2 and torch.get_num_threads() == 2
        torch.set_num_threads(1)  # a sweep worker's share of the cores stays
        assert threads.limit_threads() == 1 and torch.get_num_threads() == 1
    finally:
        torch.set_num_threads(before)
