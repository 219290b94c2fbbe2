"""A zip written as it goes, in flat memory, byte for byte what `zipfile` writes.

`StreamingZip.member(name, data)` returns the bytes of one member (its local
header and deflated data) at once; `StreamingZip.close()` returns the central
directory and the end records. Every member gets the same fixed date and mode,
so the same members always give the same bytes, and those bytes are exactly
what `zipfile.ZipFile(buffer, "w", ZIP_DEFLATED).writestr(...)` writes for
them (tests/test_zipping.py holds the two side by side).

Why not zipstream-ng: its members always carry the time they were added (no
date can be given for data), and it keeps an entry per member in memory until
the end. Here each member's central-directory record is packed when the
member is written and spooled to a temporary file: memory stays the same at
100,000 members as at 10; the disk holds about 100 bytes per member meanwhile.
Django-free.
"""

import struct
import tempfile
import zipfile
import zlib

FIXED_DATE = (1980, 1, 1, 0, 0, 0)
FILE_MODE = 0o644
_SPOOL_READ = 1 << 16


class StreamingZip:
    """One zip archive, written member by member (deflated, fixed date and mode).

    Use as a context manager, or call `close()` then `discard()`: the central
    directory waits in a temporary file until `close()`.
    """

    def __init__(self, date_time=FIXED_DATE, mode=FILE_MODE):
        year, month, day, hour, minute, second = date_time
        self._dosdate = (year - 1980) << 9 | month << 5 | day
        self._dostime = hour << 11 | minute << 5 | second // 2
        self._external_attr = mode << 16
        self._offset = 0
        self._count = 0
        # Open as long as the archive is written; closed by discard().
        self._directory = tempfile.TemporaryFile()  # noqa: SIM115
        self._directory_size = 0

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.discard()

    def member(self, name, data):
        """The bytes of one member holding `data` (bytes) under `name` (str)."""
        packed = zlib.compress(data, zlib.Z_DEFAULT_COMPRESSION, wbits=-15)
        crc = zlib.crc32(data)
        try:
            filename, flags = name.encode("ascii"), 0
        except UnicodeEncodeError:
            filename, flags = name.encode("utf-8"), 0x800
        # A member past 4 GiB would need zip64 sizes; one run's file is kilobytes.
        if len(data) > zipfile.ZIP64_LIMIT or len(packed) > zipfile.ZIP64_LIMIT:
            raise ValueError(f"{name}: a member over 4 GiB is not supported.")
        header = struct.pack(
            zipfile.structFileHeader,
            zipfile.stringFileHeader,
            zipfile.DEFAULT_VERSION,
            0,
            flags,
            zipfile.ZIP_DEFLATED,
            self._dostime,
            self._dosdate,
            crc,
            len(packed),
            len(data),
            len(filename),
            0,
        )
        self._record(filename, flags, crc, len(packed), len(data))
        chunk = header + filename + packed
        self._offset += len(chunk)
        self._count += 1
        return chunk

    def _record(self, filename, flags, crc, compressed, size):
        extra, offset, version = b"", self._offset, zipfile.DEFAULT_VERSION
        if offset > zipfile.ZIP64_LIMIT:
            # As zipfile does: the offset moves to a zip64 extra field.
            extra, offset, version = struct.pack("<HHQ", 1, 8, offset), 0xFFFFFFFF, 45
        record = struct.pack(
            zipfile.structCentralDir,
            zipfile.stringCentralDir,
            version,
            3,  # made on Unix: the mode in external_attr is Unix's
            version,
            0,
            flags,
            zipfile.ZIP_DEFLATED,
            self._dostime,
            self._dosdate,
            crc,
            compressed,
            size,
            len(filename),
            len(extra),
            0,
            0,
            0,
            self._external_attr,
            offset,
        )
        self._directory.write(record + filename + extra)
        self._directory_size += len(record) + len(filename) + len(extra)

    def close(self):
        """The rest of the archive: the central directory and the end records,
        as an iterator of bytes (read back from the temporary file in 64 KiB pieces)."""
        self._directory.seek(0)
        while piece := self._directory.read(_SPOOL_READ):
            yield piece
        self.discard()
        count, size, start = self._count, self._directory_size, self._offset
        if count > zipfile.ZIP_FILECOUNT_LIMIT or max(size, start) > zipfile.ZIP64_LIMIT:
            yield struct.pack(
                zipfile.structEndArchive64,
                zipfile.stringEndArchive64,
                44,
                45,
                45,
                0,
                0,
                count,
                count,
                size,
                start,
            )
            yield struct.pack(
                zipfile.structEndArchive64Locator,
                zipfile.stringEndArchive64Locator,
                0,
                start + size,
                1,
            )
            count, size, start = min(count, 0xFFFF), min(size, 0xFFFFFFFF), min(start, 0xFFFFFFFF)
        yield struct.pack(
            zipfile.structEndArchive, zipfile.stringEndArchive, 0, 0, count, count, size, start, 0
        )

    def discard(self):
        """Remove the temporary file (closing it twice is harmless)."""
        self._directory.close()
