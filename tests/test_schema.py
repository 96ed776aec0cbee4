"""The schema is the one source of each key's type and range: every option of every group and
every preset composes against it, and a key or value it does not allow is refused."""

import dataclasses
from pathlib import Path

import pytest
from omegaconf import OmegaConf

from llexp import schema
from llexp.api import compose
from llexp.errors import LlexpError, instantiate
from llexp.schema.keys import whole

CONF = Path(__file__).resolve().parents[1] / "conf"
GROUPS = ("model", "dataset", "trainer", "optimizer", "schedule", "logger")
PRESETS = ("experiment", "hparams_search", "debug")


def options(group):
    return sorted(p.stem for p in (CONF / group).glob("*.yaml"))


def schema_classes():
    return {cls for schemas in schema.GROUPS.values() for cls in schemas.values()}


@pytest.mark.parametrize(
    "group, option", [(g, o) for g in GROUPS for o in options(g)], ids=lambda v: str(v)
)
def test_every_option_of_every_group_has_a_schema_and_passes_it(group, option):
    base = ["model=autoencoder"] if option == "codes" else []  # codes have no classes
    cfg = compose("dataset=digits", *base, f"{group}={option}")
    node_type = OmegaConf.get_type(cfg[group])
    assert node_type in schema_classes(), f"conf/{group}/{option}.yaml names no schema"
    assert OmegaConf.get_type(cfg) is schema.LlexpConfig
    schema.check(cfg)  # the shipped defaults are within every range


@pytest.mark.parametrize(
    "group, option", [(g, o) for g in PRESETS for o in options(g)], ids=lambda v: str(v)
)
def test_every_preset_composes_against_the_schema(group, option):
    cfg = compose(f"{group}={option}")
    for name in ("model", "dataset", "trainer", "optimizer", "schedule"):
        assert OmegaConf.get_type(cfg[name]) in schema_classes(), (group, option, name)
    schema.check(cfg)


def test_every_schema_key_is_set_by_its_yaml():
    # A key the schema declares but the YAML forgets would be `???` (required) for the user.
    for group in GROUPS:
        for option in options(group):
            base = ["model=autoencoder"] if option == "codes" else []
            cfg = compose("dataset=digits", *base, f"{group}={option}")
            node = cfg[group]
            required = {"path", "encoder_from"}  # the user names their own data or run
            missing = [k for k in node if OmegaConf.is_missing(node, k) and k not in required]
            assert missing == [], (group, option, missing)


def test_a_key_added_to_a_family_is_one_line_of_its_schema():
    @dataclasses.dataclass
    class Wider(schema.model.LeNetConfig):
        stride: int = whole(at_least=1)

    node = OmegaConf.structured(Wider)
    node.merge_with(OmegaConf.to_container(compose("dataset=digits").model, resolve=True))
    node.stride = 0
    with pytest.raises(LlexpError, match="stride=0 must be a whole number of at least 1"):
        schema.check_node(node, "model.")


@pytest.mark.parametrize(
    "override, message",
    [
        ("+lr=0.1", "lr: no such key, no part of llexp reads it; did you mean optimizer.learning"),
        ("+trainer.lr=0.1", "trainer.lr: no such key"),
        ("seed=4294967296", "seed=4294967296 must be a whole number from 0 to 4294967295"),
        ("dataset.class_names=[a,b,a,c,d,e,f,g,h,i]", "names a more than once"),
        ("dataset.val_split=1.0", "dataset.val_split=1.0 must be a fraction in (0, 1)"),
        ("model.growth=0", "model.growth=0 must be a number in (0, inf]"),
    ],
)
def test_values_the_schema_refuses_are_one_line(override, message):
    with pytest.raises(LlexpError) as error:
        schema.check(compose("dataset=digits", override))
    assert message in str(error.value)


def test_a_count_is_still_a_count_and_a_fraction_a_fraction():
    schema.check(compose("dataset=digits", "dataset.val_split=1"))  # one image
    schema.check(compose("dataset=digits", "dataset.val_split=0.5"))


def test_an_interpolation_that_cannot_resolve_is_one_line():
    cfg = compose("dataset=codes", "dataset.encoder_from=x")
    with pytest.raises(LlexpError, match=r"model.num_classes=\$\{dataset.num_classes\} cannot be"):
        instantiate(cfg.model)
