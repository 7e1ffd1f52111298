"""Every command's usage errors show that command's own usage line, not the top-level one."""

import pytest

from upconv_tf.cli import _leaf_parsers, build_parser, main


def test_every_command_refuses_unknown_options_itself_but_score_passes_them_to_beam():
    parser = build_parser()
    leaves = {leaf.prog: leaf for leaf in _leaf_parsers(parser) if leaf is not parser}
    assert len(leaves) >= 10
    assert [prog for prog, leaf in leaves.items() if not leaf.runs_command] == ["upconv-tf score"]


@pytest.mark.parametrize("argv, prog", [
    (["generate", "generator", "--out", "g", "--size", "256"], "upconv-tf generate"),
    (["detector", "evaluate", "--real", "r", "--fake", "f", "--bogus", "1"], "upconv-tf detector evaluate"),
    (["detect", "x", "--model", "m", "--crop", "3"], "upconv-tf detect"),
])
def test_an_unknown_option_shows_the_command_usage(argv, prog, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(argv)
    err = capsys.readouterr().err
    assert exit_info.value.code == 1
    assert err.startswith(f"usage: {prog} ") and f"{prog}: error: unrecognized arguments: " in err
    assert "usage: upconv-tf [-h]" not in err
