"""Errors and skip records are data: codes and numbers a front end reads, names it spells its own way."""

import pytest

from upconv_tf.cli.common import describe, no_usable_image, size_hint
from upconv_tf.errors import TOO_SMALL, UNREADABLE, ArgumentError, NoUsableImages, Skipped, from_records, records


def test_records_round_trip_through_json_with_their_numbers():
    skipped = [Skipped("a.png", TOO_SMALL, "48 x 40 px is smaller than the 64 px crop", size=(48, 40), crop=64),
               Skipped("b.png", UNREADABLE, "not a readable image")]
    assert from_records(records(skipped)) == skipped
    assert records(skipped)[1] == {"path": "b.png", "code": "unreadable", "reason": "not a readable image"}
    with pytest.raises(ValueError, match="code"):
        Skipped("c.png", "no-such-code", "x")


def test_the_cli_spells_arguments_and_their_mentions_as_options():
    error = ArgumentError("policy", "none needs `num_bins` (e.g. 80)", mentions=("num_bins",))
    assert str(error) == "`policy` none needs `num_bins` (e.g. 80)"
    options = {"policy": "--policy", "num_bins": "--num-bins", "paths": None}
    assert describe(error, options) == "--policy none needs --num-bins (e.g. 80)"
    assert describe(ArgumentError("paths", "x.png: no such file"), options) == "x.png: no such file"
    assert describe(ArgumentError("TF_CONFIG", "is not valid JSON"), options) == "`TF_CONFIG` is not valid JSON"
    assert describe(NoUsableImages("no usable image in r/", ["r/"], [], "real"), {"real": "--real"}) == \
        "--real: no usable image in r/"


def test_size_hints_come_from_the_records_numbers():
    small = [Skipped(f"{i}.png", TOO_SMALL, "text that is never parsed", size=(100 + i, 90), crop=128)
             for i in range(3)]
    assert size_hint(small) == ("3 image(s) smaller than the 128 px crop were skipped; pass --size 64 (or up to 90) "
                                "to use them")
    assert no_usable_image("no usable image", small).endswith("pass --size 64 or less")
    mixed = small + [Skipped("x.png", UNREADABLE, "corrupt")]
    assert no_usable_image("no usable image", mixed) == "no usable image"
    assert NoUsableImages("none", [], small).smallest_crop_that_fits() == (128, 90)
