"""heap_freeze: the collector skips the pre-extract heap while pages flow, and only then."""

from __future__ import annotations

import gc
import threading

import pytest

from airflow_provider_lms.heap_freeze import frozen_heap
from airflow_provider_lms.hooks.learnupon import LearnUponHook


@pytest.fixture(autouse=True)
def _unfrozen():
    gc.unfreeze()
    yield
    gc.unfreeze()


def test_the_heap_is_frozen_inside_and_given_back_after():
    with frozen_heap():
        assert gc.get_freeze_count() > 1000  # the test process's objects are in the permanent generation
    assert gc.get_freeze_count() == 0


def test_nested_and_concurrent_holders_share_one_freeze():
    inside = threading.Event()
    release = threading.Event()

    def other_extract():
        with frozen_heap():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=other_extract)
    with frozen_heap():
        thread.start()
        assert inside.wait(10)
        with frozen_heap():
            pass
        assert gc.get_freeze_count() > 0  # the inner exit did not thaw the others
    assert gc.get_freeze_count() > 0  # the thread still holds it
    release.set()
    thread.join(10)
    assert gc.get_freeze_count() == 0


def test_a_heap_frozen_by_someone_else_is_left_frozen():
    gc.freeze()
    before = gc.get_freeze_count()
    with frozen_heap():
        pass
    assert gc.get_freeze_count() == before


def test_an_extract_freezes_while_pages_flow_and_thaws_when_closed(twin_factory, connect):
    hook = LearnUponHook(conn_id=connect(twin_factory("learnupon")))
    pages = hook.iter_pages(hook.plan("enrollments", {"page_size": 50}))
    counts = [gc.get_freeze_count() for _page in pages]
    assert len(counts) > 1 and min(counts) > 1000
    assert gc.get_freeze_count() == 0
    early = hook.iter_pages(hook.plan("enrollments", {"page_size": 50}))
    next(early)
    assert gc.get_freeze_count() > 0
    early.close()  # a consumer that stops early gives it back too
    assert gc.get_freeze_count() == 0
