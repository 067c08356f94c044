#!/usr/bin/env python3
"""Writes the DICOM file-reader fuzz seeds and the hostile regression corpus.

    tools/fuzz/make-corpus.py            # rewrites Fuzz/Corpus/seed and Fuzz/Corpus/regression

Seeds are small valid files in every syntax the reader handles (the compressed ones made by
dcmtk from a native seed when dcmtk is installed). The regression corpus holds the classic
hostile constructs; Tests/DICOMTests/HostileCorpusTests.swift says what each must produce.
Output is deterministic, and committed; rerun only to change the corpus.
"""
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
SEED = os.path.join(ROOT, "Fuzz", "Corpus", "seed")
REGRESSION = os.path.join(ROOT, "Fuzz", "Corpus", "regression")

LONG_VRS = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ", "SV", "UC", "UN", "UR", "UT", "UV"}


def tag(group, element, big=False):
    return struct.pack(">HH" if big else "<HH", group, element)


def explicit(group, element, vr, value, length=None, big=False):
    if length is None and len(value) % 2:
        value += b"\0" if vr in ("UI", "OB") else b" "
    size = len(value) if length is None else length
    order = ">" if big else "<"
    head = tag(group, element, big) + vr.encode()
    head += (b"\0\0" + struct.pack(order + "I", size)) if vr in LONG_VRS else struct.pack(order + "H", size & 0xFFFF)
    return head + value


def implicit(group, element, value, length=None):
    return tag(group, element) + struct.pack("<I", len(value) if length is None else length) + value


def us(value, big=False):
    return struct.pack(">H" if big else "<H", value)


def meta(syntax, instance="1.2.3.4.5"):
    body = explicit(2, 1, "OB", b"\0\1")
    body += explicit(2, 2, "UI", b"1.2.840.10008.5.1.4.1.1.7")
    body += explicit(2, 3, "UI", instance.encode())
    body += explicit(2, 0x10, "UI", syntax.encode())
    return b"\0" * 128 + b"DICM" + explicit(2, 0, "UL", struct.pack("<I", len(body))) + body


def header(rows=4, columns=4, bits=16, stored=12, frames=None, big=False, instance="1.2.3.4.5", element=explicit):
    def text(g, e, vr, value):
        return element(g, e, vr, value.encode(), big=big) if element is explicit else implicit(g, e, pad(value.encode(), vr))

    def number(g, e, value):
        return element(g, e, "US", us(value, big), big=big) if element is explicit else implicit(g, e, us(value))

    out = text(8, 0x16, "UI", "1.2.840.10008.5.1.4.1.1.7")
    out += text(8, 0x18, "UI", instance)
    out += text(8, 0x60, "CS", "DX")
    out += text(0x10, 0x10, "PN", "FUZZ^SEED")
    out += text(0x20, 0x0D, "UI", "1.2.3.4")
    out += number(0x28, 2, 1)
    out += text(0x28, 4, "CS", "MONOCHROME2")
    if frames is not None:
        out += text(0x28, 8, "IS", str(frames))
    out += number(0x28, 0x10, rows) + number(0x28, 0x11, columns)
    out += number(0x28, 0x100, bits) + number(0x28, 0x101, stored) + number(0x28, 0x102, stored - 1) + number(0x28, 0x103, 0)
    return out


# Bytes of the first two elements of header() (SOP Class and Instance UID): a place to cut it
# at an element boundary and insert sequences.
IDENTIFICATION = len(explicit(8, 0x16, "UI", b"1.2.840.10008.5.1.4.1.1.7")) + len(explicit(8, 0x18, "UI", b"1.2.3.4.5"))


def pad(value, vr):
    if len(value) % 2:
        value += b"\0" if vr == "UI" else b" "
    return value


def pixels16(count, big=False):
    return b"".join(struct.pack(">H" if big else "<H", (i * 37) % 4096) for i in range(count))


def write(folder, name, data):
    with open(os.path.join(folder, name), "wb") as handle:
        handle.write(data)


def seeds():
    os.makedirs(SEED, exist_ok=True)
    native = meta("1.2.840.10008.1.2.1") + header() + explicit(0x7FE0, 0x10, "OW", pixels16(16))
    write(SEED, "explicit_le.dcm", native)
    write(SEED, "implicit_le.dcm", meta("1.2.840.10008.1.2") + header(element=implicit) + implicit(0x7FE0, 0x10, pixels16(16)))
    write(SEED, "explicit_be.dcm", meta("1.2.840.10008.1.2.2") + header(big=True) + explicit(0x7FE0, 0x10, "OW", pixels16(16, big=True), big=True))
    write(SEED, "acr_nema.dcm", header(element=implicit) + implicit(0x7FE0, 0x10, pixels16(16)))
    body = header() + explicit(0x7FE0, 0x10, "OW", pixels16(16))
    compressor = zlib.compressobj(9, zlib.DEFLATED, -15)
    write(SEED, "deflated.dcm", meta("1.2.840.10008.1.2.1.99") + compressor.compress(body) + compressor.flush())
    item = explicit(8, 0x100, "SH", b"121327") + explicit(8, 0x102, "SH", b"DCM")
    sequence = tag(8, 0x9215) + b"SQ\0\0" + struct.pack("<I", 0xFFFFFFFF)
    sequence += tag(0xFFFE, 0xE000) + struct.pack("<I", 0xFFFFFFFF) + item + tag(0xFFFE, 0xE00D) + b"\0\0\0\0"
    sequence += tag(0xFFFE, 0xE000) + struct.pack("<I", len(item)) + item
    sequence += tag(0xFFFE, 0xE0DD) + b"\0\0\0\0"
    # A private element with a VR no reader knows: read as UN with a 4-byte length, as dcmtk does.
    private = explicit(9, 0x10, "LO", b"FLUOROBOX") + tag(9, 0x1001) + b"XX\0\0" + struct.pack("<I", 10) + b"unknown vr"
    write(SEED, "sequences_private.dcm", meta("1.2.840.10008.1.2.1") + header()[:IDENTIFICATION] + sequence + private + header()[IDENTIFICATION:] + explicit(0x7FE0, 0x10, "OW", pixels16(16)))
    multi = meta("1.2.840.10008.1.2.1") + header(rows=4, columns=4, frames=3) + explicit(0x7FE0, 0x10, "OW", pixels16(48))
    write(SEED, "multiframe.dcm", multi)
    if shutil.which("dcmcjpeg"):
        with tempfile.TemporaryDirectory() as folder:
            source = os.path.join(folder, "in.dcm")
            write(folder, "in.dcm", multi)
            for name, command in [
                ("rle.dcm", ["dcmcrle"]), ("jpeg_lossless_sv1.dcm", ["dcmcjpeg", "+e1"]),
                ("jpeg_lossless_sv6.dcm", ["dcmcjpeg", "+el", "+sv", "6"]), ("jpeg_ls.dcm", ["dcmcjpls"]),
            ]:
                target = os.path.join(SEED, name)
                subprocess.run(command + [source, target], check=True)
            eight = meta("1.2.840.10008.1.2.1") + header(rows=8, columns=8, bits=8, stored=8) + explicit(0x7FE0, 0x10, "OB", bytes(range(0, 256, 4)))
            write(folder, "eight.dcm", eight)
            subprocess.run(["dcmcjpeg", "+eb", os.path.join(folder, "eight.dcm"), os.path.join(SEED, "jpeg_baseline.dcm")], check=True)
    else:
        print("make-corpus: dcmtk not found, compressed seeds not written", file=sys.stderr)


def regression():
    os.makedirs(REGRESSION, exist_ok=True)
    le = "1.2.840.10008.1.2.1"
    base = header()
    # A value length that runs past the end of the file.
    write(REGRESSION, "length_past_end.dcm", meta(le) + base + explicit(0x7FE0, 0x10, "OW", pixels16(4), length=0x00100000))
    # A length of 0xFFFFFFFE (just under undefined) on the last element.
    write(REGRESSION, "length_ffff_fffe.dcm", meta(le) + base + explicit(0x0009, 0x1010, "OB", b"", length=0xFFFFFFFE))
    # 0xFFFFFFFF (undefined length) on elements that can never be sequences.
    write(REGRESSION, "undefined_length_on_OB.dcm", meta(le) + base + explicit(0x0009, 0x1010, "OB", b"\1\2\3\4", length=0xFFFFFFFF))
    write(REGRESSION, "undefined_length_on_US_implicit.dcm", meta("1.2.840.10008.1.2") + implicit(0x28, 0x10, b"\4\0", length=0xFFFFFFFF) + b"\0" * 8)
    write(REGRESSION, "undefined_length_on_text.dcm", meta(le) + tag(0x10, 0x10) + b"UT\0\0" + struct.pack("<I", 0xFFFFFFFF) + b"DOE^JOHN")
    # 10,000 nested undefined-length sequences.
    depth = 10000
    nested = b""
    opening = tag(0x0008, 0x1115) + b"SQ\0\0" + struct.pack("<I", 0xFFFFFFFF) + tag(0xFFFE, 0xE000) + struct.pack("<I", 0xFFFFFFFF)
    closing = tag(0xFFFE, 0xE00D) + b"\0\0\0\0" + tag(0xFFFE, 0xE0DD) + b"\0\0\0\0"
    nested = opening * depth + closing * depth
    write(REGRESSION, "sequence_depth_10000.dcm", meta(le) + base[:IDENTIFICATION] + nested)
    # The same depth with defined lengths nested inside each other.
    inner = b""
    for _ in range(depth):
        item = tag(0xFFFE, 0xE000) + struct.pack("<I", len(inner)) + inner
        inner = tag(0x0008, 0x1115) + b"SQ\0\0" + struct.pack("<I", len(item)) + item
    write(REGRESSION, "sequence_depth_10000_defined.dcm", meta(le) + base[:IDENTIFICATION] + inner)
    # Rows x Columns x BitsAllocated x Frames past any sane size (and past 64 bits as bytes x frames).
    huge = header(rows=65535, columns=65535, bits=16, stored=16, frames=2147483647)
    write(REGRESSION, "size_overflow_frames.dcm", meta(le) + huge + explicit(0x7FE0, 0x10, "OW", pixels16(4)))
    write(REGRESSION, "size_past_limit.dcm", meta(le) + header(rows=65535, columns=65535, bits=16, stored=16) + explicit(0x7FE0, 0x10, "OW", pixels16(4)))
    # UIDs that would walk out of a folder if used as a path.
    write(REGRESSION, "uid_dotdot_path.dcm", meta(le, instance="../../../etc/passwd") + header(instance="../../../etc/passwd") + explicit(0x7FE0, 0x10, "OW", pixels16(16)))
    write(REGRESSION, "uid_slash.dcm", meta(le, instance="1.2.3/../../x") + header(instance="1.2.3/../../x") + explicit(0x7FE0, 0x10, "OW", pixels16(16)))
    # An item whose length runs past its sequence.
    bad_item = tag(0x0008, 0x1115) + b"SQ\0\0" + struct.pack("<I", 16) + tag(0xFFFE, 0xE000) + struct.pack("<I", 4000) + b"\0" * 8
    write(REGRESSION, "item_length_past_sequence.dcm", meta(le) + base[:IDENTIFICATION] + bad_item)
    # Something other than an item inside a sequence.
    not_item = tag(0x0008, 0x1115) + b"SQ\0\0" + struct.pack("<I", 0xFFFFFFFF) + explicit(0x10, 0x10, "PN", b"DOE")
    write(REGRESSION, "sequence_without_items.dcm", meta(le) + base[:IDENTIFICATION] + not_item)
    # An undefined-length item never closed.
    write(REGRESSION, "item_never_closed.dcm", meta(le) + base[:IDENTIFICATION] + opening + explicit(0x10, 0x10, "PN", b"DOE"))
    # A delimiter at the top level.
    write(REGRESSION, "delimiter_at_top_level.dcm", meta(le) + base + tag(0xFFFE, 0xE0DD) + b"\0\0\0\0")
    # Encapsulated pixel data: a fragment with undefined length, and one past the end.
    encapsulated = tag(0x7FE0, 0x10) + b"OB\0\0" + struct.pack("<I", 0xFFFFFFFF) + tag(0xFFFE, 0xE000) + b"\0\0\0\0"
    write(REGRESSION, "fragment_undefined_length.dcm", meta("1.2.840.10008.1.2.5") + base + encapsulated + tag(0xFFFE, 0xE000) + struct.pack("<I", 0xFFFFFFFF) + b"\0" * 16)
    write(REGRESSION, "fragment_past_end.dcm", meta("1.2.840.10008.1.2.5") + base + encapsulated + tag(0xFFFE, 0xE000) + struct.pack("<I", 1 << 30) + b"\0" * 16)
    # Compressed frames that lie: RLE segment offsets outside the frame, a JPEG lossless stream
    # whose Huffman codes run out, a JPEG 2000 codestream cut short, a JPEG-LS header only.
    def encapsulate(syntax, frame):
        if len(frame) % 2:
            frame += b"\0"
        data = encapsulated + tag(0xFFFE, 0xE000) + struct.pack("<I", len(frame)) + frame + tag(0xFFFE, 0xE0DD) + b"\0\0\0\0"
        return meta(syntax) + base + data
    rle = struct.pack("<16I", 2, 64, 0x7FFFFFF0, *([0] * 13)) + b"\0" * 16
    write(REGRESSION, "rle_segment_offsets_outside.dcm", encapsulate("1.2.840.10008.1.2.5", rle))
    sof3 = b"\xFF\xD8\xFF\xC3\x00\x0B\x0C\x00\x04\x00\x04\x01\x01\x11\x00"
    dht = b"\xFF\xC4\x00\x14\x00" + bytes([0, 1] + [0] * 14) + b"\x05"
    sos = b"\xFF\xDA\x00\x08\x01\x01\x00\x01\x00\x00"
    write(REGRESSION, "jpeg_lossless_truncated_scan.dcm", encapsulate("1.2.840.10008.1.2.4.70", sof3 + dht + sos + b"\x12\x34"))
    write(REGRESSION, "jpeg_lossless_no_table.dcm", encapsulate("1.2.840.10008.1.2.4.70", sof3 + sos + b"\x00" * 32 + b"\xFF\xD9"))
    write(REGRESSION, "jpeg2000_cut_short.dcm", encapsulate("1.2.840.10008.1.2.4.90", b"\xFF\x4F\xFF\x51\x00\x29" + b"\x00" * 20))
    write(REGRESSION, "jpegls_header_only.dcm", encapsulate("1.2.840.10008.1.2.4.80", b"\xFF\xD8\xFF\xF7\x00\x0B\x0C\x00\x04\x00\x04\x01\x01\x11\x00"))
    write(REGRESSION, "jpeg_12bit_extended.dcm", encapsulate("1.2.840.10008.1.2.4.51", b"\xFF\xD8\xFF\xC1\x00\x0B\x0C\x00\x04\x00\x04\x01\x01\x11\x00\xFF\xD9"))
    # A deflated data set that is not deflate data.
    write(REGRESSION, "deflate_garbage.dcm", meta("1.2.840.10008.1.2.1.99") + b"\xFF" * 64)
    # Cut in the middle of an element header, and in the meta group.
    whole = meta(le) + base
    write(REGRESSION, "truncated_in_header.dcm", whole[:-3])
    write(REGRESSION, "truncated_meta.dcm", meta(le)[:150])
    # Pixel data shorter than the header says.
    write(REGRESSION, "pixels_short.dcm", meta(le) + base + explicit(0x7FE0, 0x10, "OW", pixels16(3)))


if __name__ == "__main__":
    seeds()
    regression()
    print("make-corpus: wrote", len(os.listdir(SEED)), "seeds and", len(os.listdir(REGRESSION)), "regression files")
