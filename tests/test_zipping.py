"""tasks.zipping: a zip written member by member is the zip `zipfile` writes."""

import io
import zipfile

import pytest

from tasks.zipping import StreamingZip


def zipfile_bytes(members):
    """What zipfile writes for these (name, data) members: deflated, 1980, mode 644."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in members:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    return buffer.getvalue()


def streamed_bytes(members):
    with StreamingZip() as archive:
        return b"".join([*(archive.member(name, data) for name, data in members), *archive.close()])


@pytest.mark.parametrize(
    "members",
    [
        [],
        [("run.yaml", b"task_title: One\n")],
        [
            ("empty.txt", b""),
            ("é-unicode.yaml", "ünïcode: ✓\n".encode()),
            ("b.yaml", b"x" * 100_000),
        ],
    ],
    ids=["empty", "one", "several"],
)
def test_streamed_zip_is_byte_identical_to_zipfiles(members):
    assert streamed_bytes(members) == zipfile_bytes(members)


def test_more_than_65535_members_get_zipfiles_zip64_end_records():
    members = [(f"{n}.txt", b"%d" % n) for n in range(65_537)]
    streamed = streamed_bytes(members)
    assert streamed == zipfile_bytes(members)
    assert len(zipfile.ZipFile(io.BytesIO(streamed)).namelist()) == 65_537


def test_each_member_comes_out_as_it_is_added():
    with StreamingZip() as archive:
        first = archive.member("a.txt", b"alpha")
        second = archive.member("b.txt", b"beta")
        rest = b"".join(archive.close())
    archive = zipfile.ZipFile(io.BytesIO(first + second + rest))
    assert [archive.read(name) for name in archive.namelist()] == [b"alpha", b"beta"]
