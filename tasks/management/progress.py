"""Progress bars for the long management commands, on a terminal only."""

import contextlib

from tqdm import tqdm


@contextlib.contextmanager
def progress_bar(stream, description, unit="run"):
    """Yield a `progress(done, total)` callback that draws a tqdm bar on `stream`
    (a command's self.stderr), or None when `stream` is not a terminal: logs,
    pipes, CI and the tests stay free of bar drawings. `total` may be None while
    unknown (a file still being read)."""
    if not stream.isatty():
        yield None
        return
    with tqdm(desc=description, unit=unit, file=stream._out) as bar:

        def progress(done, total):
            if total != bar.total:
                bar.total = total
            bar.update(done - bar.n)

        yield progress
