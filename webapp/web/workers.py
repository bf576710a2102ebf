"""A worker of `leadgen serve --workers N` ends when the process that started it does."""

from __future__ import annotations

import ctypes
import ctypes.util
import logging
import os
import signal
import sys

from webapp.web.numbers import whole_number

logger = logging.getLogger(__name__)

SERVE_PID = "LEADGEN_SERVE_PID"  # set by `serve` for its workers; not a setting
PR_SET_PDEATHSIG = 1  # <linux/prctl.h>


def end_with_parent() -> bool:
    """In a worker of `serve --workers N` on Linux: be sent SIGTERM when `serve` dies (at once
    if it already has). True when that is arranged.

    uvicorn's supervisor stops its workers when it is told to stop (SIGTERM, Ctrl+C), but one
    that is killed outright (SIGKILL, the out-of-memory killer) leaves them running: still
    serving the port, still executing runs, and a server started again could not bind the port.
    So `serve` names itself in LEADGEN_SERVE_PID, and each worker asks Linux to send it SIGTERM
    when its parent dies (prctl PR_SET_PDEATHSIG). It then stops as on any SIGTERM: its streams
    are told the server is restarting and its runs are marked interrupted, ready to resume.
    """
    expected = whole_number(os.environ.get(SERVE_PID, ""))
    if expected is None or expected == os.getpid() or sys.platform != "linux":
        return False
    libc = ctypes.CDLL(ctypes.util.find_library("c"), use_errno=True)
    if libc.prctl(PR_SET_PDEATHSIG, int(signal.SIGTERM), 0, 0, 0) != 0:
        logger.warning(
            "this worker could not ask to end with its parent: %s",
            os.strerror(ctypes.get_errno()),
        )
        return False
    if os.getppid() != expected:  # it died before the request: nobody will tell us
        os.kill(os.getpid(), signal.SIGTERM)
    return True
