"""Bounded concurrency for extracts: pages fetched ahead, parameter sets run side by side.

Why this is safe: nothing here decides what an extract reads. The hook's engine still walks the
pages one by one, in order, through the paginator and every page check; this module only has the
responses of the pages the paginator will ask for ready sooner.

* **pages** (:class:`PagePrefetcher`): once page 1 declares how many pages there are (a total of
  pages, or of records with the page size), the requests for pages 2..N are predicted and sent by
  at most ``max_concurrency`` threads, a window of that many pages ahead of the page being
  processed (memory: pages in flight, never the extract). When the engine asks for a page, the
  prefetched response is used only if the paginator's request is exactly the predicted one; any
  difference (a paginator that stopped earlier, a cursor) drops the prefetch and the engine goes
  on sequentially. So output, errors and checks are the sequential run's, page for page.
* **parameter sets** (:func:`ordered_sets`): a list of parameter dicts runs up to
  ``max_concurrency`` sets at once (each set's pages in order), and their pages come out in set
  order, each set buffered at most a few pages ahead.

Rate limits hold because every thread goes through the hook's one transport and throttle (a 429
holds the whole pool: :meth:`~airflow_provider_lms.throttle.Throttle.hold`), and one auth (a
rejected token is renewed once for all threads).

Thread pools are imported here only when an extract asks for concurrency above 1: importing the
operator or parsing a DAG file never loads them.
"""

from __future__ import annotations

import math
import queue
import threading
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING, Any

from airflow_provider_lms.exceptions import LmsConfigError
from airflow_provider_lms.pagination import OffsetPaginator, PageNumberPaginator

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

    from airflow_provider_lms.page_request import PageRequest, PageResponse
    from airflow_provider_lms.pagination import Declared, Paginator

#: The setting's name as hook/operator argument and connection extra.
SETTING = "max_concurrency"
#: More threads than this only queue at the vendor; a typo like 1000 is refused.
MAX_CONCURRENCY = 16


def concurrency_from(value: Any, source: str, default: int) -> int:
    """A whole number of concurrent requests in 1..MAX_CONCURRENCY, or a config error naming where
    the value came from. None / "" gives ``default``."""
    if value in (None, ""):
        return default
    try:
        number = int(value)
        exact = not isinstance(value, bool) and float(value) == number
    except (TypeError, ValueError, OverflowError):
        number, exact = 0, False
    if not exact or not 1 <= number <= MAX_CONCURRENCY:
        raise LmsConfigError(
            f"{source} {SETTING}={value!r} must be a whole number from 1 (one request at a time) to "
            f"{MAX_CONCURRENCY}"
        )
    return number


def predict_requests(
    paginator: Paginator,
    first: PageRequest,
    response: PageResponse,
    declared: Declared,
    page_limit: int,
) -> list[PageRequest]:
    """The requests of pages 2..N when page 1 says how many pages there are; [] when it does not
    (a has-next header, tokens, no total) or the paginator is not one whose requests we can name."""
    pages = declared.total_pages
    if pages is None and declared.total_items is not None:
        size = declared.page_size or response.record_count
        pages = math.ceil(declared.total_items / size) if size else None
    if pages is None or pages <= 1:
        return []
    pages = min(pages, page_limit)
    if isinstance(paginator, PageNumberPaginator):
        if paginator.has_next_header and paginator.has_next_header.lower() in {
            k.lower() for k in response.headers
        }:
            return []  # the header decides, not the total: stay sequential
        step, start, param = 1, paginator.first_page, paginator.page_param
    elif isinstance(paginator, OffsetPaginator) and response.record_count:
        step, start, param = response.record_count, 0, paginator.offset_param
    else:
        return []
    predicted = []
    for index in range(1, pages):
        following = first.copy()
        paginator._target(following)[param] = start + index * step
        predicted.append(following)
    return predicted


class PagePrefetcher:
    """Hands the engine each page's response, fetched ahead where the page count is known.

    :param send: the transport's ``send`` (thread-safe).
    :param width: most requests in flight (``max_concurrency``); 1 never starts a thread.
    """

    def __init__(self, send: Callable[[PageRequest], Any], width: int) -> None:
        self._send, self.width = send, width
        self._predicted: list[PageRequest] = []  # index 0 is page 2
        self._futures: dict[int, Future] = {}
        self._pool: ThreadPoolExecutor | None = None
        self._next_submit = 0
        self.prefetched = 0  # pages whose prefetched response was used

    def plan(self, predicted: Sequence[PageRequest]) -> None:
        """Start fetching ``predicted`` (pages 2..N), ``width`` at a time."""
        if self.width <= 1 or not predicted or self._predicted:
            return
        from concurrent.futures import ThreadPoolExecutor  # only when an extract goes concurrent

        self._predicted = list(predicted)
        self._pool = ThreadPoolExecutor(self.width, thread_name_prefix="lms-page")
        self._fill(2)

    def send(self, number: int, request: PageRequest) -> Any:
        """The response for page ``number``: the prefetched one if the request is the predicted
        one, else sent now (and the prefetch dropped when the prediction went wrong)."""
        future = self._futures.pop(number, None)
        if future is not None and self._predicted[number - 2] == request:
            self.prefetched += 1
            self._fill(number + 1)
            return future.result()  # raises what the sequential send would have raised
        if future is not None or (self._predicted and number - 2 < len(self._predicted)):
            self.close()  # the paginator went elsewhere: sequential from here on
        return self._send(request)

    def _fill(self, current: int) -> None:
        # Keep pages current .. current + width - 1 in flight (never more).
        assert self._pool is not None
        last = min(current + self.width - 1, len(self._predicted) + 1)
        for number in range(max(current, self._next_submit), last + 1):
            if number not in self._futures:
                self._futures[number] = self._pool.submit(self._send, self._predicted[number - 2])
            self._next_submit = number + 1

    def close(self) -> None:
        """Drop what is not yet sent; requests already on the wire finish in their threads."""
        self._predicted = []
        for future in self._futures.values():
            future.cancel()
        self._futures.clear()
        if self._pool is not None:
            self._pool.shutdown(wait=False, cancel_futures=True)
            self._pool = None


_DONE = object()
#: Set in the threads of :func:`ordered_sets`: their sets already use the pool's width, so the
#: pages inside each set are read one by one (in flight stays at most ``max_concurrency``).
_set_thread = threading.local()


def page_width(width: int) -> int:
    """How many page requests one extract may have in flight here (1 inside a parameter-set thread)."""
    return 1 if getattr(_set_thread, "active", False) else width


def ordered_sets(
    count: int, pages_of: Callable[[int], Iterator[Any]], width: int, ahead: int = 2
) -> Iterator[tuple[int, Any]]:
    """``(set index, page)`` for sets ``0..count-1`` in set order, page order within each set,
    with up to ``width`` sets being read at once; a set may run ``ahead`` pages ahead of the
    writer before its thread waits. An error in a set is raised when its turn comes."""
    if width <= 1 or count <= 1:
        for index in range(count):
            for page in pages_of(index):
                yield index, page
        return
    stop = threading.Event()
    queues = [queue.Queue(maxsize=ahead) for _ in range(count)]
    slots = threading.Semaphore(width)

    def put(index: int, item: Any) -> bool:
        while not stop.is_set():
            try:
                queues[index].put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run(index: int) -> None:
        _set_thread.active = True
        try:
            for page in pages_of(index):
                if not put(index, (page, None)):
                    return
            put(index, (_DONE, None))
        except BaseException as exc:  # handed to the writer's thread in order
            put(index, (_DONE, exc))
        finally:
            slots.release()

    def start_all() -> None:
        for index in range(count):
            while not slots.acquire(timeout=0.1):
                if stop.is_set():
                    return
            if stop.is_set():
                slots.release()
                return
            threading.Thread(target=run, args=(index,), name=f"lms-set-{index + 1}", daemon=True).start()

    starter = threading.Thread(target=start_all, name="lms-sets", daemon=True)
    starter.start()
    try:
        for index in range(count):
            while True:
                page, error = queues[index].get()
                if page is _DONE:
                    if error is not None:
                        raise error
                    break
                yield index, page
    finally:
        stop.set()
