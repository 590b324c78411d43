# SPDX-License-Identifier: MIT
"""raspiplc: Python on RaspiPLC's process image, a thin layer over libplc
(docs/python.md).

    import raspiplc
    with raspiplc.connect() as plc:
        print(plc.get("tank_level"))
"""
from .client import PLC, Change, Reading, Tag, WRITER_CHECK_S, connect
from .errors import (CommandError, LayoutError, LayoutMismatchError, NotWriterError, PLCError,
                     RegionMissingError, TimeoutError, WriterDeadError)

__all__ = ["connect", "PLC", "Tag", "Reading", "Change", "WRITER_CHECK_S", "PLCError",
           "LayoutError", "RegionMissingError", "LayoutMismatchError", "WriterDeadError",
           "NotWriterError", "TimeoutError", "CommandError"]
