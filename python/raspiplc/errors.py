# SPDX-License-Identifier: MIT
"""raspiplc's exceptions. Each carries what it is about, as attributes and in
its message: the region, the tag (when one is concerned) and the file path."""
import builtins


class PLCError(Exception):
    """Base of every raspiplc error."""

    def __init__(self, message, *, region=None, tag=None, path=None, errno=None, named=False):
        """@named: @message names the region and path already (libplc's diag)."""
        self.region, self.tag, self.path, self.errno = region, tag, path, errno
        where = []
        if tag:
            where.append(f"tag '{tag}'")
        if region:
            where.append(f"region '{region}'")
        if path and not named:
            where.append(f"path {path}")
        if named and not tag:
            where = []
        super().__init__(", ".join(where) + ": " + message if where else message)


class LayoutError(PLCError, ValueError):
    """The layout file does not load, or names no such tag or region."""


class RegionMissingError(PLCError, FileNotFoundError):
    """The region's file is not there: plc-shm-init has not run (on this base directory)."""


class LayoutMismatchError(PLCError):
    """The region was made from another layout (name, version or hash) or another release."""


class WriterDeadError(PLCError):
    """The region's writer died (or left it mid-write) while this client needed it."""


class NotWriterError(PLCError, PermissionError):
    """This client may not write there: the layout names another writer, or a
    live process holds the writer claim."""


class TimeoutError(PLCError, builtins.TimeoutError):
    """Nothing came in time: a command not acknowledged, a change not seen."""


class CommandError(PLCError):
    """The Modbus gateway refused or did not answer a command."""
