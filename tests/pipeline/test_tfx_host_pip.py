"""The Debian 13 root gets everything the host's pip configuration names.

CI machines configure pip system-wide (a constraints file, a CA bundle, local wheel folders and indexes); a root
that gets only the ``pip.conf`` files fails with "Could not open requirements file". These tests build such a
configuration in a temporary folder and ask ``run_in_debian13.sh carry`` (the script's own plan, no root
needed) what it copies and binds.
"""

import os
import subprocess
from pathlib import Path

import pytest

import paths

REPO = Path(paths.REPO)
SCRIPT = REPO / "tfx_pipeline" / "run_in_debian13.sh"


def _carry(env):
    result = subprocess.run(["bash", str(SCRIPT), "carry"], env=env, capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    copies, binds = {}, []
    for line in result.stdout.splitlines():
        kind, *paths = line.split("\t")
        if kind == "copy":
            copies[paths[0]] = paths[1]
        else:
            assert kind == "bind", line
            binds.append(paths[0])
    return copies, binds


@pytest.fixture
def host(tmp_path):
    """A host whose pip configuration names files and folders, like this project's CI machines."""
    etc, home = tmp_path / "etc", tmp_path / "home dir"
    (etc / "pip").mkdir(parents=True)
    (home / ".config" / "pip").mkdir(parents=True)
    wheels, index = tmp_path / "wheels", tmp_path / "pypi" / "simple"
    wheels.mkdir()
    index.mkdir(parents=True)
    cert = tmp_path / "ca bundle.crt"
    cert.write_text("-----BEGIN CERTIFICATE-----\n")
    nested = tmp_path / "more-constraints.txt"
    nested.write_text("numpy<3\n")
    constraints = tmp_path / "constraints.txt"
    constraints.write_text(f"# host cap\ntorch<=2.14.1\n-c {nested.name}\n")
    (etc / "pip" / "pip.conf").write_text(f"[global]\nconstraint = {constraints}\ncert = {cert}\n")
    (home / ".config" / "pip" / "pip.conf").write_text(
        f"[global]\nfind-links = {wheels}\nextra-index-url = file://{index} https://example.org/simple\n"
        "[install]\nno-compile = true\n")
    env = {key: value for key, value in os.environ.items() if not key.startswith(("PIP_", "XDG_"))}
    env.update(HOME=str(home), XDG_CONFIG_DIRS=str(etc))
    return {"env": env, "etc": etc, "home": home, "constraints": constraints, "nested": nested, "cert": cert,
            "wheels": wheels, "index": index}


def test_carries_every_file_and_folder_the_configuration_names(host):
    copies, binds = _carry(host["env"])
    global_conf = str(host["etc"] / "pip" / "pip.conf")
    assert copies[global_conf] == global_conf  # global files keep their path (XDG_CONFIG_DIRS goes inside)
    assert copies[str(host["home"] / ".config" / "pip" / "pip.conf")] == "/root/.config/pip/pip.conf"
    for name in ("constraints", "nested", "cert"):  # the file the CI failure named, and what it names
        assert copies[str(host[name])] == str(host[name])
    assert str(host["wheels"]) in binds
    assert str(host["index"].parent) in binds  # a PEP 503 index links to files beside its simple/ folder
    assert not any("example.org" in path for path in list(copies) + binds)
    assert len(binds) == len(set(binds))


def test_pip_environment_variables_are_carried_and_devnull_config_means_none(host, tmp_path):
    extra = tmp_path / "extra-wheels"
    extra.mkdir()
    env = dict(host["env"], PIP_FIND_LINKS=str(extra), PIP_CONFIG_FILE=os.devnull)
    copies, binds = _carry(env)
    assert copies == {}  # PIP_CONFIG_FILE=/dev/null: pip reads no configuration file at all
    assert binds == [str(extra)]


def test_missing_paths_are_not_carried(host):
    (host["etc"] / "pip" / "pip.conf").write_text("[global]\nconstraint = /no/such/constraints.txt\n")
    copies, _ = _carry(host["env"])
    assert not any(path.startswith("/no/such") for path in copies)
