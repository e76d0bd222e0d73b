"""A wall clock of its own for one process, that a test moves at run time
(libfaketime, Debian package libfaketime): the machine's clock, shared with
every other process, is never touched. CLOCK_MONOTONIC is left real, as a
real clock jump (NTP step, an operator's `date -s`) leaves it."""

import os
import tempfile

LIBFAKETIME = "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1"


class FakeClock:
    """clock.env goes into the process's environment; clock.set("+1d"),
    ("-1h", "+0") moves its CLOCK_REALTIME (time(), gettimeofday(),
    clock_gettime()) to the real time plus the offset, read again at every
    call (FAKETIME_NO_CACHE)."""

    def __init__(self):
        if not os.path.exists(LIBFAKETIME):
            raise RuntimeError(f"{LIBFAKETIME} missing: make deps installs libfaketime")
        fd, self.path = tempfile.mkstemp(prefix="pchat-clock-")
        os.close(fd)
        self.set("+0")

    def set(self, offset):
        """offset: libfaketime's relative form, e.g. +1d, -1h, +90 (s)"""
        tmp = self.path + ".new"
        with open(tmp, "w") as f:
            f.write(offset + "\n")
        os.replace(tmp, self.path)  # the process never reads half a line

    @property
    def env(self):
        return {"LD_PRELOAD": LIBFAKETIME, "FAKETIME_TIMESTAMP_FILE": self.path,
                "FAKETIME_NO_CACHE": "1", "FAKETIME_DONT_FAKE_MONOTONIC": "1"}

    def cleanup(self):
        for p in (self.path, self.path + ".new"):
            try:
                os.unlink(p)
            except FileNotFoundError:
                pass
