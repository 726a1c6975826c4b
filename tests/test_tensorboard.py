"""TensorBoard event files: what a user opening TensorBoard on the run folder sees."""
import struct

import pytest

from nettrain.tensorboard import TensorBoardLog, scalar_tag

pytest.importorskip("tensorboardX")


def read_scalars(folder):
    """{tag: [(step, value), ...]} from every event file under ``folder``, in
    file order: TFRecord framing (length, crc, payload, crc) around Event protos."""
    from tensorboardX.proto import event_pb2

    scalars = {}
    for path in sorted(folder.glob("events.out.tfevents.*")):
        data = path.read_bytes()
        at = 0
        while at < len(data):
            (length,) = struct.unpack("<Q", data[at:at + 8])
            event = event_pb2.Event.FromString(data[at + 12:at + 12 + length])
            at += 12 + length + 4
            for value in event.summary.value:
                scalars.setdefault(value.tag, []).append((event.step, round(value.simple_value, 6)))
    return scalars


def test_tags_follow_the_split():
    assert [scalar_tag(k) for k in ("train_loss", "val_acc", "test_mae", "lr", "seconds")] == \
        ["train/loss", "val/acc", "test/mae", "lr", "seconds"]


def test_epoch_records_and_step_losses_read_back(tmp_path):
    log = TensorBoardLog(tmp_path)
    log.step(10, 2.5, 0.1)
    log.epoch({"kind": "epoch", "epoch": 1, "step": 20, "train_loss": 1.5, "train_acc": 0.5, "lr": 0.1,
               "val_loss": 1.25, "note": "text is skipped"})
    log.close()
    scalars = read_scalars(tmp_path / "tensorboard")
    assert scalars["train/loss"] == [(1, 1.5)] and scalars["val/loss"] == [(1, 1.25)]
    assert scalars["lr"] == [(1, 0.1)] and scalars["step/loss"] == [(10, 2.5)]
    assert "note" not in scalars and "epoch" not in scalars


def test_a_resumed_run_purges_what_came_after_its_checkpoint(tmp_path):
    log = TensorBoardLog(tmp_path)
    for step in (10, 20, 30):
        log.step(step, step / 10, 0.1)
    log.close()
    resumed = TensorBoardLog(tmp_path, resume_step=20)
    resumed.step(30, 99.0, 0.1)
    resumed.close()
    from tensorboardX.proto import event_pb2

    files = sorted((tmp_path / "tensorboard").glob("events.out.tfevents.*"))
    assert len(files) == 2
    # The resumed file holds a SessionLog.START at the purge step: TensorBoard drops
    # the first file's events from step 20 on, so the curve has one point per step.
    data = [f for f in files if f.name.endswith("from-step-20")][0].read_bytes()
    first_sessions = []
    at = 0
    while at < len(data):
        (length,) = struct.unpack("<Q", data[at:at + 8])
        event = event_pb2.Event.FromString(data[at + 12:at + 12 + length])
        at += 12 + length + 4
        if event.HasField("session_log"):
            first_sessions.append((event.step, event.session_log.status))
    assert first_sessions == [(20, event_pb2.SessionLog.START)]
    assert read_scalars(tmp_path / "tensorboard")["step/loss"][-1] == (30, 99.0)
