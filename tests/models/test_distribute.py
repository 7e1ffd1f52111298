"""tf.distribute equality: N replicas give the single-device weights for the same global batches.

Runs tests/models/distribute_worker.py in subprocesses (logical devices must be set before TF initialises):
one process splits the CPU into 2 logical devices and trains each model on one device and under
MirroredStrategy from the same initial weights; two more processes form a 2-worker
MultiWorkerMirroredStrategy on 127.0.0.1. All three start together.

Why the settings make equality a real check:
* SGD, not Adam: Adam's update is invariant to a constant loss factor, so a missing or doubled
  ``1/replicas`` would go unnoticed; with SGD it scales the update (the "doublescaled" negative
  control below must fail the comparison).
* No batch norm: its batch statistics depend on how the batch is split (each replica would normalise
  its half). The generator has no norm, the discriminator layer norm (per-sample statistics), the AE none.
* float64 (``keras.config.set_floatx`` and float64 images; dcgan with its default R1 penalty, a gradient
  w.r.t. the images inside the loss): in float32 the two runs differ by summation order (two partial sums of the batch instead of
  one), and the reference spectrum amplifies that noise: ``20 ln|F|`` has a gradient ``~1/|F|`` at weak
  frequencies, and the spectral loss is nearly invariant to the output bias (the DC bin is dropped), so
  that bias' gradient is a difference of large terms. Measured after 3 SGD steps: up to ~1e-2 relative
  on the last bias in float32, ~1e-11 in float64. float64 keeps the check at 1e-5 about the logic
  (loss scaling, random-number slicing, seeds), which a bug changes by O(1).
"""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

pytestmark = pytest.mark.slow

HERE = os.path.dirname(os.path.abspath(__file__))
WORKER = os.path.join(HERE, "distribute_worker.py")
KINDS = ("dcgan", "wgan-gp", "ae")
MULTIWORKER_KINDS = ("dcgan", "ae")  # wgan-gp's penalty slicing is covered by MirroredStrategy; keeps the test short
TOLERANCE = 1e-5
TIMEOUT = 900


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    out = str(tmp_path_factory.mktemp("distribute"))
    env = dict(os.environ, PYTHONPATH=os.pathsep.join([os.path.dirname(HERE), os.environ.get("PYTHONPATH", "")]))
    ports = ",".join(map(str, free_ports(2)))
    commands = {
        "local": [sys.executable, WORKER, "local", out, ",".join(KINDS + ("dcgan-doublescaled",))],
        "worker0": [sys.executable, WORKER, "multiworker", out, ",".join(MULTIWORKER_KINDS), "0", ports],
        "worker1": [sys.executable, WORKER, "multiworker", out, ",".join(MULTIWORKER_KINDS), "1", ports],
    }
    processes = {name: subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
                 for name, cmd in commands.items()}
    status = {}
    for name, process in processes.items():
        try:
            output, _ = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        status[name] = (process.returncode, output[-3000:])
    return out, status


def load(out, name):
    data = np.load(os.path.join(out, f"{name}.npz"))
    return [data[f"arr_{i}"] for i in range(len(data.files))]


def max_relative_error(actual, expected):
    """Largest per-tensor ``max|a - b| / max|b|`` (tensors that are all zero must stay zero)."""
    errors = []
    for a, b in zip(actual, expected, strict=True):
        scale = np.abs(b).max()
        if scale > 0:
            errors.append(np.abs(a - b).max() / scale)
        else:
            errors.append(np.inf if np.abs(a).max() > 0 else 0.0)
    return max(errors)


def check_process(status, name):
    code, output = status[name]
    assert code == 0, f"{name} failed (exit {code}):\n{output}"


@pytest.mark.parametrize("kind", KINDS)
def test_mirrored_matches_single_device(runs, kind):
    out, status = runs
    check_process(status, "local")
    init, single, mirrored = (load(out, f"{kind}_{run}") for run in ("init", "single", "mirrored"))
    # Training moved the weights far more than the tolerance, so the comparison is not vacuous.
    moved = [np.abs(s - i).max() / np.abs(s).max() for s, i in zip(single, init) if np.abs(s).max() > 0]
    assert max(moved) > 1e-2
    assert max_relative_error(mirrored, single) <= TOLERANCE


def test_double_scaled_loss_is_detected(runs):
    """Negative control: dividing the loss by the replicas twice must break the equality."""
    out, status = runs
    check_process(status, "local")
    single, mirrored = load(out, "dcgan-doublescaled_single"), load(out, "dcgan-doublescaled_mirrored")
    assert max_relative_error(mirrored, single) > 100 * TOLERANCE


@pytest.mark.parametrize("kind", MULTIWORKER_KINDS)
def test_multiworker_matches_single_device(runs, kind):
    out, status = runs
    check_process(status, "local")
    check_process(status, "worker0")
    check_process(status, "worker1")
    single = load(out, f"{kind}_single")
    assert max_relative_error(load(out, f"{kind}_init_w0"), load(out, f"{kind}_init")) == 0
    for index in (0, 1):
        assert max_relative_error(load(out, f"{kind}_multiworker_w{index}"), single) <= TOLERANCE


def two_workers(out, epochs, temporary):
    """Run ``upconv_tf.models.training.train`` as 2 workers under TF_CONFIG (tests/distribute_worker.py train);
    each worker's temporary files go to ``temporary/w<INDEX>``."""
    ports = ",".join(map(str, free_ports(2)))
    processes = []
    for index in (0, 1):
        os.makedirs(os.path.join(temporary, f"w{index}"), exist_ok=True)
        env = dict(os.environ, TMPDIR=os.path.join(temporary, f"w{index}"),
                   PYTHONPATH=os.pathsep.join([os.path.dirname(HERE), os.environ.get("PYTHONPATH", "")]))
        env.pop("TF_CONFIG", None)
        processes.append(subprocess.Popen([sys.executable, WORKER, "train", out, str(epochs), str(index), ports],
                                          env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
    for index, process in enumerate(processes):
        try:
            output, _ = process.communicate(timeout=TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            output, _ = process.communicate()
        assert process.returncode == 0, f"worker {index} failed (exit {process.returncode}):\n{output[-3000:]}"
    results = []
    for index in (0, 1):
        with open(os.path.join(out, f"train_w{index}.json")) as handle:
            results.append(json.load(handle))
    return results


def test_train_under_tf_config_writes_on_the_chief_only_and_resumes(tmp_path):
    """`train` under MultiWorkerMirroredStrategy when TF_CONFIG is set: one run folder written by
    the chief (worker 0), the other worker's saves go to a temporary folder it removes, and a second call
    with more epochs resumes on both workers from the chief's checkpoint."""
    out, temporary, run = str(tmp_path / "out"), str(tmp_path / "tmp"), tmp_path / "out" / "run"
    os.makedirs(out)
    first = two_workers(out, 1, temporary)
    assert [r["replicas"] for r in first] == [2, 2] and [r["start_step"] for r in first] == [0, 0]
    assert json.loads((run / "checkpoints" / "state.json").read_text())["step"] == 2
    assert all(r["model_path"] == str(run / "generator.keras") for r in first)
    assert (run / "generator.keras").is_file() and json.loads((run / "metrics.json").read_text())["status"] in (
        "trained", "untrained")
    assert not any(files for _, _, files in os.walk(temporary))  # the worker's own saves were removed
    assert max_relative_error(load(out, "train_w1"), load(out, "train_w0")) == 0  # replicas stay in sync
    second = two_workers(out, 2, temporary)
    assert [(r["start_step"], r["total_steps"]) for r in second] == [(2, 4), (2, 4)]
    assert json.loads((run / "checkpoints" / "state.json").read_text())["step"] == 4
    assert len(json.loads((run / "history.json").read_text())["d_loss"]) == 2
    assert not any(files for _, _, files in os.walk(temporary))
    assert max_relative_error(load(out, "train_w1"), load(out, "train_w0")) == 0
