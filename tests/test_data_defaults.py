"""A dataset's defaults live in conf/dataset/<name>.yaml: every registered dataset has one that sets
its augmentation, epochs and batch size; the schema's defaults are those of the default dataset,
and the loaders set none of them (the augmentation is the run's, set from the config)."""

from pathlib import Path

import pytest
import yaml

from bninit.config import RunConfig
from bninit.data import DATASETS
from bninit.data.digits import load_digits

CONF = Path(__file__).resolve().parents[1] / "conf" / "dataset"
PER_DATASET = ("augment", "epochs", "batch_size")


@pytest.mark.parametrize("name", sorted(DATASETS))
def test_every_dataset_sets_its_defaults_in_its_yaml(name):
    values = yaml.safe_load((CONF / f"{name}.yaml").read_text())
    assert values["dataset"] == name
    assert set(PER_DATASET) <= set(values), set(PER_DATASET) - set(values)


def test_the_schema_defaults_are_the_default_datasets_yaml():
    schema = RunConfig()
    values = yaml.safe_load((CONF / f"{schema.dataset}.yaml").read_text())
    assert {k: getattr(schema, k) for k in PER_DATASET} == {k: values[k] for k in PER_DATASET}


def test_a_loader_leaves_the_augmentation_to_the_run():
    assert load_digits().augment is None
