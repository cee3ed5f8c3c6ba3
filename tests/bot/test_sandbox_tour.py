"""The README's sandbox tour, typed into the real `imagebot shell --sandbox` in a pty, step by step.

One shell for the whole tour (and a second, short one for the refusals as U_READONLY). The ids are the
sandbox's fixed ones. Timeouts are generous, since the machine may be busy; nothing here times anything.
"""

from __future__ import annotations

import os
import re
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pexpect
import pytest

from bot.sandbox import TOUR_AMI

PROMPT = "imagebot> "
CONFIRM = r"\[y/N\] "
TIMEOUT = 180  # seconds for one step on a loaded machine; a step normally takes one or two
ANSI = re.compile(r"\x1b\[[0-9;]*m")
RAW_MARKUP = ("<@", "<#", "<!", "<http", ":white_check_mark:", ":no_entry_sign:", ":warning:", ":x:", "&amp;", "&lt;")


class Tour:
    """A shell in a pty: `step` types a line and returns what it printed up to the next prompt (styles removed)."""

    def __init__(self, tmp_path: Path, *args: str) -> None:
        imagebot = Path(sys.executable).with_name("imagebot")  # the installed entry point, as a user runs it
        env = {
            **os.environ,
            "XDG_STATE_HOME": str(tmp_path),
            "DOCKER_HOST": "unix:///nonexistent/docker.sock",
            "TERM": "dumb",
        }
        self.child = pexpect.spawn(
            str(imagebot), ["shell", "--sandbox", *args], env=env, encoding="utf-8", timeout=TIMEOUT
        )
        self.transcript: list[str] = []
        self.banner = self.until(PROMPT)

    def until(self, pattern: str) -> str:
        self.child.expect(pattern)
        self.transcript.append(self.child.before)
        return ANSI.sub("", self.child.before)

    def step(self, line: str, until: str = PROMPT) -> str:
        self.child.sendline(line)
        return self.until(until)

    def key(self, ctrl: str) -> None:
        """Ctrl-C or Ctrl-D, once the shell waits in select() for a key.

        CPython's readline checks for a signal only when select() is interrupted: a Ctrl-C that lands
        between the prompt being printed and select() starting would wait for the next key. A person
        never types that fast; pexpect does, on a busy machine.
        """
        wchan = Path(f"/proc/{self.child.pid}/wchan")
        deadline = time.monotonic() + TIMEOUT
        while wchan.exists() and time.monotonic() < deadline:
            if any(word in wchan.read_text() for word in ("poll", "select")):
                break
            time.sleep(0.05)
        if ctrl == "c":
            self.child.sendintr()
        else:
            self.child.sendeof()

    def styled(self) -> bool:
        return any(ANSI.search(t) for t in self.transcript)

    def close(self) -> int:
        self.key("d")  # Ctrl-D at the prompt leaves
        self.child.expect(pexpect.EOF)
        self.transcript.append(self.child.before)
        self.child.close()
        return int(self.child.exitstatus)


@pytest.fixture
def tour(tmp_path: Path) -> Iterator[Tour]:
    shell = Tour(tmp_path)
    yield shell
    if shell.child.isalive():
        shell.child.terminate(force=True)


def test_the_readme_tour_in_the_sandbox_shell(tour: Tour, tmp_path: Path):
    assert "SANDBOX: nothing real is touched." in tour.banner
    assert "AWS     moto, in process" in tour.banner and TOUR_AMI in tour.banner
    assert "Docker  not available (set DOCKER_HOST)" in tour.banner
    state = tmp_path / "imagebot"
    assert f"Logs: {state / 'imagebot.log'}." in tour.banner

    status = tour.step("ami status web-base-2026.11.20")
    assert "AMI web-base-2026.11.20" in status and f"AMI id         {TOUR_AMI}" in status
    assert "State          ✓ available" in status
    assert f"Copies in other regions: /image ami copies {TOUR_AMI}" in status

    copies = tour.step(f"ami copies {TOUR_AMI}")
    assert "Copies of web-base-2026.11.20" in copies
    for region in ("us-east-1", "eu-west-1", "us-west-2", "ap-southeast-2"):
        assert re.search(rf"^{region} +ami-[0-9a-f]{{17}} · ✓ available", copies, re.M), copies
    assert f"3 copies of {TOUR_AMI} (us-east-1)" in copies

    asked = tour.step(f"ami copy {TOUR_AMI} eu-west-1", until=CONFIRM)
    assert f"Copy {TOUR_AMI} to eu-west-1?" in asked and "snapshot storage costs money" in asked
    done = tour.step("y")
    started = re.search(r"Started job (\w+): copying " + TOUR_AMI, done)
    assert started, done
    job = started.group(1)
    assert re.search(rf"✓ Job {job}: copying .*: done in .*ami-[0-9a-f]{{17}} is available", done), done

    interrupted = tour.step(f"ami copy {TOUR_AMI} us-west-2", until=CONFIRM)
    assert f"Copy {TOUR_AMI} to us-west-2?" in interrupted
    tour.key("c")  # Ctrl-C at the confirmation
    assert "Canceled: nothing was started." in tour.until(PROMPT)

    tour.step(f"ami copy {TOUR_AMI} ap-southeast-2", until=CONFIRM)
    tour.key("d")  # Ctrl-D at the confirmation
    assert "Canceled: nothing was started." in tour.until(PROMPT)

    tour.child.send("ami sta")
    tour.child.expect("ami sta")  # echoed: readline has read it and waits for more
    tour.key("c")  # Ctrl-C at the prompt: the line goes, the shell stays
    tour.until(PROMPT)

    jobs = tour.step("jobs")  # the shell went on, and only the confirmed copy became a job
    assert "Your recent jobs" in jobs
    assert re.search(rf"^{job} +ami\.copy +copying {TOUR_AMI} .* · succeeded", jobs, re.M), jobs
    assert "us-west-2" not in jobs and "ap-southeast-2" not in jobs

    audit = tour.step("audit")
    assert "Audit log" in audit
    assert f"@U_LOCAL in shell: ami copy {TOUR_AMI} eu-west-1 → allowed, ok" in audit
    assert f"→ confirmed, ok, job {job}" in audit

    shown_help = tour.step("help")
    assert "/image ami copies  List an AMI's copies" in shown_help and "/image help <subcommand>" in shown_help

    docker = tour.step("docker inspect nginx:1.27")  # no engine in this sandbox: one line, not an error dump
    assert "DOCKER_HOST" in docker and len([x for x in docker.splitlines()[1:] if x.strip()]) == 1

    assert tour.close() == 0
    everything = "".join(tour.transcript)
    assert tour.styled()  # a tty: styles, not marks
    for raw in RAW_MARKUP:
        assert raw not in ANSI.sub("", everything), raw
    assert "Traceback" not in everything and '{"ts"' not in everything
    assert (state / "imagebot.log").stat().st_size > 0
    assert "ami copies" in (state / "history").read_text()  # the history is kept in the state directory


def test_the_tour_refusals_as_u_readonly(tmp_path: Path):
    tour = Tour(tmp_path, "--user", "U_READONLY")
    try:
        assert "imagebot shell as U_READONLY. SANDBOX" in tour.banner
        assert "You need the copy permission" in tour.step(f"ami copy {TOUR_AMI} eu-west-1")
        assert "You need the admin permission" in tour.step("audit")
        assert "Copies of web-base-2026.11.20" in tour.step(f"ami copies {TOUR_AMI}")  # reading is for everyone
        assert tour.close() == 0
    finally:
        if tour.child.isalive():
            tour.child.terminate(force=True)
