"""Thread groups: closing, joining, bounded waits."""

from __future__ import annotations

import threading
import time

from local.threads import ThreadGroup


def test_a_closed_thread_group_starts_no_more_threads():
    # Given a closed group
    group = ThreadGroup()
    group.close()
    ran = threading.Event()
    # When a thread is started in it  # Then it is refused and nothing runs
    assert group.start("late", ran.set) is False
    assert group.join(1.0) == []
    assert not ran.is_set()


def test_joining_a_thread_group_waits_for_threads_started_meanwhile():
    # Given a thread that starts another one before it ends (as a failed Create starts a rollback)
    group = ThreadGroup()
    second_done = threading.Event()

    def second() -> None:
        time.sleep(0.1)
        second_done.set()

    def first() -> None:
        time.sleep(0.1)
        group.start("second", second)

    group.start("first", first)
    # When the group is joined  # Then both have ended
    assert group.join(5.0) == []
    assert second_done.is_set()


def test_joining_a_thread_group_is_bounded_and_names_what_still_runs():
    # Given a thread that waits for a release
    group = ThreadGroup()
    release = threading.Event()
    group.start("stuck", release.wait, 5.0)
    try:
        # When the group is joined with a short timeout  # Then the join returns, naming the thread
        assert group.join(0.1) == ["stuck"]
    finally:
        release.set()
    assert group.join(5.0) == []
