import gc
import threading

from common.bulk import BULK_THRESHOLD, fewer_collections


def test_nested_and_concurrent_uses_restore_the_default_only_when_the_last_ends():
    default = gc.get_threshold()
    inner_entered, outer_may_end = threading.Event(), threading.Event()
    seen = []

    def other() -> None:
        with fewer_collections():
            inner_entered.set()
            outer_may_end.wait(5)
            seen.append(gc.get_threshold()[0])  # the first user has ended by now

    with fewer_collections():
        assert gc.get_threshold() == (BULK_THRESHOLD, default[1], default[2])
        thread = threading.Thread(target=other)
        thread.start()
        inner_entered.wait(5)
    outer_may_end.set()
    thread.join(5)
    assert seen == [BULK_THRESHOLD]
    assert gc.get_threshold() == default


def test_an_error_inside_restores_the_default():
    default = gc.get_threshold()
    try:
        with fewer_collections():
            raise RuntimeError("the import failed")
    except RuntimeError:
        pass
    assert gc.get_threshold() == default
