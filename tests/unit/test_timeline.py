"""The event log, the timing summary and run comparison."""

from __future__ import annotations

import io

import pytest
from rich.console import Console

from labbuilder.adapters import eventlog
from labbuilder.errors import StateError
from labbuilder.model import timeline
from labbuilder.model.timeline import LAB_LANE, Event
from labbuilder.render.timing import compare_lines, summary_lines
from labbuilder.reporter import Reporter


def ev(run: str, stage: str, node: str, step: str, start: float, end: float, result: str = "ok"):
    return Event(run, stage, node, step, start, end, result)


def test_events_round_trip_and_damaged_lines_are_skipped():
    events = [ev("r1", "vms", "controller", "Starting domain.", 10.0, 12.5)]
    text = "\n".join(timeline.dumps(e) for e in events) + '\n{"run": "r1", "stage"\n\nnot json\n'
    assert timeline.loads(text) == events


def test_event_log_appends_lines_of_every_run(tmp_path):
    path = tmp_path / "lab" / "timeline.jsonl"
    clock = iter([100.0, 200.0])
    first = eventlog.EventLog(path, "r1", wall=lambda: next(clock))
    first.add("networks", LAB_LANE, "networks", 1.0, 3.0)
    second = eventlog.EventLog(path, "r2")
    second.add("networks", LAB_LANE, "networks", 5.0, 6.5, "failed")
    assert path.read_text().count("\n") == 2
    assert [(e.run, e.seconds, e.result) for e in eventlog.read(path)] == [
        ("r1", 2.0, "ok"),
        ("r2", 1.5, "failed"),
    ]
    assert second.events == [eventlog.read(path)[1]]


@pytest.mark.parametrize(
    ("stages", "total", "rows", "unaccounted", "expected_total"),
    [
        (
            [("networks", 0, 10), ("deploy", 10, 70)],
            100.0,
            [("networks", 10, 0.1), ("deploy", 60, 0.6)],
            30,
            100,
        ),
        ([("networks", 0, 50)], 50.0, [("networks", 50, 1.0)], 0, 50),
        # a total shorter than the stages (clock skew) never gives negative unaccounted time
        ([("networks", 0, 80)], 60.0, [("networks", 80, 1.0)], 0, 80),
        ([], 12.0, [], 12, 12),
    ],
)
def test_summary_rows_shares_and_unaccounted(stages, total, rows, unaccounted, expected_total):
    events = [ev("r", s, LAB_LANE, s, a, b) for s, a, b in stages]
    summary = timeline.summarize(events, total)
    assert [(r.step, r.seconds, round(r.share, 3)) for r in summary.rows] == rows
    assert summary.unaccounted == pytest.approx(unaccounted)
    assert summary.total == pytest.approx(expected_total)


def test_summary_lists_the_slowest_steps_under_their_stage_without_counting_them():
    events = [ev("r", "deploy", LAB_LANE, "deploy", 0, 100)]
    events += [ev("r", "deploy", "controller", f"m{i}.pp", 0, i * 10) for i in range(1, 6)]
    events += [ev("r", "vms", "compute1", "boot", 0, 99)]  # another stage: not listed
    summary = timeline.summarize(events, 100.0)
    assert [(r.step, r.seconds, r.detail) for r in summary.rows] == [
        ("deploy", 100, False),
        ("  controller: m5.pp", 50, True),
        ("  controller: m4.pp", 40, True),
        ("  controller: m3.pp", 30, True),
    ]
    assert summary.unaccounted == 0


def test_summary_lines_read_like_devstack():
    summary = timeline.summarize([ev("r", "vms", LAB_LANE, "vms", 0, 90)], 120.0)
    lines = summary_lines(summary)
    assert lines[1] == "Timing (m:ss)"
    assert "vms" in lines[3] and "1:30" in lines[3] and "75.0%" in lines[3]
    assert lines[4].split() == ["Unaccounted", "time", "0:30", "25.0%"]
    assert lines[6].split() == ["Total", "runtime", "2:00"]


def test_compare_orders_the_slowest_change_first():
    events = [
        ev("a", "vms", "controller", "boot", 0, 60),
        ev("a", "deploy", "controller", "10.1.1.10_controller.pp", 0, 300),
        ev("a", "deploy", "compute1", "10.1.1.20_compute.pp", 0, 100),
        ev("b", "vms", "controller", "boot", 0, 50),
        ev("b", "deploy", "controller", "10.1.1.10_controller.pp", 0, 420),
        ev("b", "deploy", "compute1", "10.1.1.20_compute.pp", 0, 90),
        ev("b", "deploy", "compute1", "10.1.1.20_compute.pp", 100, 130),  # retried: summed
        ev("b", "verify", "e2e", "server", 0, 30),
    ]
    changes = timeline.compare(events, "a", "b")
    assert [(c.step, c.delta) for c in changes] == [
        ("10.1.1.10_controller.pp", 120),
        ("server", 30),
        ("10.1.1.20_compute.pp", 20),
        ("boot", -10),
    ]
    lines = compare_lines(changes, "a", "b")
    assert "+2:00 (x1.40)" in lines[1]
    assert lines[2].endswith("new")
    assert lines[4].endswith("-0:10 (x0.83)")


def test_compare_names_the_runs_there_are():
    with pytest.raises(StateError, match=r"no run 'x'.*choose from a"):
        timeline.compare([ev("a", "vms", "n", "s", 0, 1)], "a", "x")


def test_reporter_records_stages_and_node_steps(tmp_path):
    times = iter([0.0, 5.0, 12.0, 20.0, 30.0, 31.0, 40.0])
    log = eventlog.EventLog(tmp_path / "t.jsonl", "r", wall=lambda: next(times))
    reporter = Reporter(Console(file=io.StringIO()))
    reporter.timeline = log
    reporter.node("controller", "started again")  # outside any stage: not an event
    with reporter.staged("provision"):  # starts at 0
        reporter.node("controller", "hostname set")  # 5
        reporter.node("controller", "hostname set")  # repeated message: no event
        reporter.node("compute1", "hostname set")  # 12
        reporter.node("controller", "time sync")  # 20
    with pytest.raises(RuntimeError), reporter.staged("deploy"):  # provision ends 30; 31..40
        raise RuntimeError("boom")
    got = [(e.stage, e.node, e.step, e.start, e.end, e.result) for e in log.events]
    assert got == [
        ("provision", "controller", "hostname set", 0.0, 5.0, "ok"),
        ("provision", "compute1", "hostname set", 0.0, 12.0, "ok"),
        ("provision", "controller", "time sync", 5.0, 20.0, "ok"),
        ("provision", LAB_LANE, "provision", 0.0, 30.0, "ok"),
        ("deploy", LAB_LANE, "deploy", 31.0, 40.0, "failed"),
    ]


def test_packstack_steps_become_events_on_their_nodes(tmp_path):
    """Recorded Packstack output folded into progress, then each step and manifest as an
    event: manifests on the node whose address names them, sequence steps on the controller."""
    from labbuilder.adapters.packstack.output import Progress, parse_output
    from labbuilder.stages.deploy import Followed, record_steps
    from tests.conftest import FIXTURES, lab_of

    lab = lab_of(nodes=3)
    text = (FIXTURES / "packstack" / "multinode-success.out").read_text()
    progress = Progress()
    for i, event in enumerate(parse_output(text)):
        progress = progress.apply(event, float(i))
    reporter = Reporter(Console(file=io.StringIO()))
    reporter.timeline = eventlog.EventLog(tmp_path / "t.jsonl", "r")
    reporter.begin_stage("deploy")
    record_steps(lab, Followed(progress, 0, b"", 10.0), reporter)
    events = eventlog.read(tmp_path / "t.jsonl")
    assert len(events) == len(progress.finished) > 0
    manifests = {e.step: e.node for e in events if e.step.endswith(".pp")}
    assert manifests["10.1.1.20_compute.pp"] == "compute1"
    assert manifests["10.1.1.10_controller.pp"] == "controller"
    assert {e.node for e in events if not e.step.endswith(".pp")} == {"controller"}
    assert {e.stage for e in events} == {"deploy"}
    assert all(e.end >= e.start for e in events)
