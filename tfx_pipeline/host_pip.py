"""What a chroot needs from the host's pip configuration, so that pip inside behaves as pip outside.

A host's pip configuration (``pip.conf`` files and ``PIP_*`` variables) often names other files and folders:
a constraints file, a requirements file, a CA bundle, a ``find-links`` folder, a ``file://`` index. Copying
only the ``pip.conf`` into a root leaves pip there pointing at paths that do not exist ("Could not open
requirements file"), so ``run_in_debian13.sh`` asks this script for everything to carry:

    copy<TAB>SRC<TAB>DEST   a file to copy into the root (pip.conf files; files their values name, recursively
                    through ``-r``/``-c`` lines of requirement and constraint files)
    bind<TAB>DIR            a folder to bind read-only at the same path (find-links folders, local indexes)

Standard library only: it runs on the host's ``python3``, before any virtual environment exists. Pip reads,
in order (``pip config debug`` lists the same): the global files (``pip/pip.conf`` under each of
``$XDG_CONFIG_DIRS``, default ``/etc/xdg``, then ``/etc/pip.conf``), the user files (``~/.pip/pip.conf``,
``$XDG_CONFIG_HOME/pip/pip.conf``), then ``$PIP_CONFIG_FILE``; ``PIP_*`` variables override them all.
Inside the root pip runs as root with ``HOME=/root``, so user files are carried to ``/root/...``; global
files and ``$PIP_CONFIG_FILE`` keep their paths.
"""

from __future__ import annotations

import configparser
import os
import shlex
import sys
from pathlib import Path
from urllib.parse import unquote, urlparse

ROOT_HOME = "/root"
# Options inside requirement/constraint files that name another file or a folder (pip's req_file.py).
FILE_OPTIONS = {"-r", "--requirement", "-c", "--constraint"}
LOCATION_OPTIONS = {"-f", "--find-links", "-i", "--index-url", "--extra-index-url"}


def config_files(env=os.environ):
    """(host path, path inside the root) of each pip configuration file that pip on the host would read."""
    if env.get("PIP_CONFIG_FILE") == os.devnull:
        return []  # pip's documented switch: no configuration files at all
    home = Path(env.get("HOME") or Path.home())
    xdg_dirs = [d for d in env.get("XDG_CONFIG_DIRS", "/etc/xdg").split(":") if d]
    # Global files keep their paths (run_in_debian13.sh passes XDG_CONFIG_DIRS into the root).
    pairs = [(Path(d) / "pip" / "pip.conf",) * 2 for d in xdg_dirs]
    pairs.append((Path("/etc/pip.conf"), Path("/etc/pip.conf")))
    xdg_home = Path(env.get("XDG_CONFIG_HOME") or home / ".config")
    pairs.append((home / ".pip" / "pip.conf", Path(ROOT_HOME, ".pip", "pip.conf")))
    pairs.append((xdg_home / "pip" / "pip.conf", Path(ROOT_HOME, ".config", "pip", "pip.conf")))
    if env.get("PIP_CONFIG_FILE"):
        path = Path(env["PIP_CONFIG_FILE"]).absolute()
        pairs.append((path, path))  # PIP_CONFIG_FILE is passed into the root, so it must keep its path
    return [(src, dest) for src, dest in pairs if src.is_file()]


def config_values(files, env=os.environ):
    """Every value of every option in ``files`` and in ``PIP_*`` variables, as pip would read paths in them."""
    values = []
    for path in files:
        parser = configparser.RawConfigParser(strict=False)
        try:
            parser.read(path, encoding="utf-8")
        except (configparser.Error, UnicodeDecodeError, OSError) as error:
            print(f"host_pip.py: warning: cannot parse {path}: {error}", file=sys.stderr)
            continue
        for section in parser.sections():
            values.extend(value for _, value in parser.items(section))
    values.extend(value for key, value in env.items() if key.startswith("PIP_") and key != "PIP_CONFIG_FILE")
    tokens = []
    for value in values:
        # Single-valued options (cert, constraint) may name a path with spaces; list options
        # (find-links, extra-index-url) are whitespace-separated, as pip splits them.
        whole = local_path(value.strip())
        tokens.extend([value.strip()] if whole is not None and whole.exists() else value.split())
    return tokens


def local_path(token, base=None):
    """The absolute local path a value names (a path or a ``file://`` URL), or None for anything else."""
    if token.startswith("file:"):
        token = unquote(urlparse(token).path)
    elif "://" in token:
        return None
    path = Path(token).expanduser()
    if not path.is_absolute():
        if base is None:
            return None  # a relative value in pip.conf (or a flag like "true") is not a path we can carry
        path = base / path
    return path


def referenced_in(requirements_file):
    """Paths named by the ``-r/-c/-f/-i`` lines of a requirement or constraint file (relative to it)."""
    found = []
    try:
        lines = requirements_file.read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return found
    for line in lines:
        try:
            words = shlex.split(line, comments=True)
        except ValueError:
            continue
        for index, word in enumerate(words):
            option, _, inline = word.partition("=")
            if option in FILE_OPTIONS | LOCATION_OPTIONS:
                value = inline or (words[index + 1] if index + 1 < len(words) else "")
                path = local_path(value, base=requirements_file.parent)
                if path is not None:
                    found.append(path)
    return found


def plan(env=os.environ):
    """Tab-separated lines ``copy SRC DEST`` and ``bind DIR`` (see the module docstring), no duplicates."""
    files = config_files(env)
    lines = [f"copy\t{src}\t{dest}" for src, dest in files]
    pending = [p for token in config_values([src for src, _ in files], env)
               if (p := local_path(token)) is not None]
    seen = set()
    while pending:
        path = pending.pop(0)
        if path in seen:
            continue
        seen.add(path)
        if path.is_file():
            lines.append(f"copy\t{path}\t{path}")
            pending.extend(referenced_in(path))
        elif path.is_dir():
            # A PEP 503 index (.../simple) links to files beside it: bind its parent.
            lines.append(f"bind\t{path.parent if path.name == 'simple' else path}")
    return list(dict.fromkeys(lines))


if __name__ == "__main__":
    print("\n".join(plan()))
