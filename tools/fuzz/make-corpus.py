#!/usr/bin/env python3
"""Writes the fuzz seeds and the hostile regression corpus.

    tools/fuzz/make-corpus.py     # rewrites Fuzz/Corpus/seed, Fuzz/Corpus/raster, Fuzz/Corpus/regression

Seeds are small valid files in every syntax the reader handles (the compressed ones made by
dcmtk from a native seed when dcmtk is installed). The regression corpus holds the classic
hostile constructs; Tests/DICOMTests/HostileCorpusTests.swift (DICOM) and
Tests/ImagingTests/HostileRasterTests.swift (PNG, JPEG) say what each must produce. JPEG-LS and
JPEG 2000 files need dcmtk and OpenJPEG's opj_compress (Debian libopenjp2-tools).
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


RASTER = os.path.join(ROOT, "Fuzz", "Corpus", "raster")


def encapsulated_file(syntax, frame, image_header):
    """A Part 10 file with one frame of encapsulated pixel data (empty offset table)."""
    if len(frame) % 2:
        frame += b"\0"
    data = tag(0x7FE0, 0x10) + b"OB\0\0" + struct.pack("<I", 0xFFFFFFFF) + tag(0xFFFE, 0xE000) + b"\0\0\0\0"
    data += tag(0xFFFE, 0xE000) + struct.pack("<I", len(frame)) + frame + tag(0xFFFE, 0xE0DD) + b"\0\0\0\0"
    return meta(syntax) + image_header + data


def first_fragment(dicom):
    """The first pixel data fragment of a file dcmtk wrote (explicit VR little endian)."""
    at = dicom.index(tag(0x7FE0, 0x10) + b"OB\0\0" + struct.pack("<I", 0xFFFFFFFF)) + 12
    table = struct.unpack("<I", dicom[at + 4:at + 8])[0]
    at += 8 + table
    size = struct.unpack("<I", dicom[at + 4:at + 8])[0]
    return dicom[at + 8:at + 8 + size]


def j2k_codestream(width, height):
    """A lossless JPEG 2000 codestream of an 8-bit ramp, by OpenJPEG's opj_compress when installed."""
    if not shutil.which("opj_compress"):
        print("make-corpus: opj_compress not found, JPEG 2000 files not written", file=sys.stderr)
        return None
    with tempfile.TemporaryDirectory() as folder:
        pgm = os.path.join(folder, "in.pgm")
        write(folder, "in.pgm", b"P5\n%d %d\n255\n" % (width, height) + bytes((i * 7) % 256 for i in range(width * height)))
        out = os.path.join(folder, "out.j2k")
        subprocess.run(["opj_compress", "-n", "2", "-i", pgm, "-o", out], check=True, stdout=subprocess.DEVNULL)
        with open(out, "rb") as handle:
            return handle.read()


def jpeg_ls_codestream(width, height):
    """A JPEG-LS codestream of an 8-bit image, by dcmtk's dcmcjpls when installed."""
    if not shutil.which("dcmcjpls"):
        return None
    with tempfile.TemporaryDirectory() as folder:
        source = os.path.join(folder, "in.dcm")
        write(folder, "in.dcm", meta("1.2.840.10008.1.2.1") + header(rows=height, columns=width, bits=8, stored=8)
              + explicit(0x7FE0, 0x10, "OB", bytes((i * 7) % 256 for i in range(width * height))))
        target = os.path.join(folder, "out.dcm")
        subprocess.run(["dcmcjpls", source, target], check=True)
        with open(target, "rb") as handle:
            return first_fragment(handle.read())


def baseline_jpeg(width, height, blocks=1):
    """A grey baseline JPEG made by hand: unit quantisation, one-code Huffman tables (DC category
    0, AC end-of-block), every block flat. `blocks` 8x8 blocks of entropy data follow, so the frame
    header can declare more than the data holds."""
    dqt = b"\xFF\xDB\x00\x43\x00" + b"\x01" * 64
    sof = b"\xFF\xC0\x00\x0B\x08" + struct.pack(">HH", height, width) + b"\x01\x01\x11\x00"
    one_code = bytes([1] + [0] * 15) + b"\x00"
    dht = b"\xFF\xC4\x00\x14\x00" + one_code + b"\xFF\xC4\x00\x14\x10" + one_code
    sos = b"\xFF\xDA\x00\x08\x01\x01\x00\x00\x3F\x00"
    # Two bits a block ('0' DC, '0' EOB), padded with ones.
    bits = "00" * blocks
    bits += "1" * (-len(bits) % 8)
    scan = bytes(int(bits[i:i + 8], 2) for i in range(0, len(bits), 8))
    return b"\xFF\xD8" + dqt + sof + dht + sos + scan + b"\xFF\xD9"


def png_chunk(kind, data):
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)


def png(width, height, depth=8, colour=0, rows=None, data=None):
    """A PNG; `rows` (filter byte + samples each) defaults to a grey ramp of 8-bit samples."""
    if data is None:
        if rows is None:
            rows = [b"\0" + bytes((x * 16 + y) % 256 for x in range(width)) for y in range(height)]
        data = zlib.compress(b"".join(rows), 9)
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return PNG_SIGNATURE + png_chunk(b"IHDR", ihdr) + png_chunk(b"IDAT", data) + png_chunk(b"IEND", b"")


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def raster_seeds():
    """Small JPEG and PNG files for the raster fuzz targets (FuzzJPEG, FuzzPNG)."""
    os.makedirs(RASTER, exist_ok=True)
    write(RASTER, "gray_8x8.jpg", baseline_jpeg(8, 8))
    write(RASTER, "gray8_16x8.png", png(16, 8))
    write(RASTER, "gray16_4x4.png", png(4, 4, depth=16, rows=[b"\2" + bytes(range(y, y + 8)) for y in range(4)]))
    write(RASTER, "gray1_9x3.png", png(9, 3, depth=1, rows=[b"\1\xA5\x80"] * 3))
    write(RASTER, "rgb_3x3.png", png(3, 3, colour=2, rows=[b"\4" + bytes(range(9))] * 3))
    write(RASTER, "grey_alpha_3x2.png", png(3, 2, colour=4, rows=[b"\3" + bytes(range(6))] * 2))


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
    j2k = j2k_codestream(8, 8)
    if j2k:
        write(SEED, "j2k.dcm", encapsulated_file("1.2.840.10008.1.2.4.90", j2k, header(rows=8, columns=8, bits=8, stored=8)))
    raster_seeds()


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
    hostile_numbers(le, base)
    hostile_codestreams(base)
    hostile_rasters()
    fuzz_findings()


# Inputs the fuzz targets (tools/fuzz/run-fuzzers) crashed on, once fixed, as their targets read them.
# FuzzJPEG2000: a codestream that ends inside an unknown marker; the read callback's end-of-stream
# value was Int.max, not -1, and OpenJPEG read past its 64 KB stream buffer.
J2K_STREAM_END = bytes.fromhex(
    "ff4fff510029000000000008000000080000000000000000000000080000000800000000000000000001070101ff5200"
    "0c00000001000104040001ff5c00074040484850ff640025000143726561746564206279204f70656e4a504547207665"
    "7273696f6e20322e352e30ffcccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccccc"
    "cccccccccccccccccccccccccc6174fafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafafa"
    "fafafafafafafafafafafafa6564206279204f70656e4a5045472076657273696f6e20322e352e30ff90000a00000000"
    "00441219dbfa55eaa33b16a2b72c5ea45ec51fc7d2133f00c87da0801dd461bffaef9728ef0703cfd35a8267a1e09ba4"
    "bf1b844e07ffd900"
)


# FuzzJPEGLS: a 27-byte JPEG-LS stream (68 x 4, 16-bit) on which CharLS 2.4.1 spends about 35 s
# before it reports damaged data. Slow, not a crash, and nothing here can interrupt CharLS: kept
# apart from the regression corpus (whose tests must be quick) until decoding runs where a
# deadline can end it.
JPEGLS_CHARLS_SLOW = bytes.fromhex("ffd8fff7000b100004004401011140ffda0008010100000000a240")

SLOW = os.path.join(ROOT, "Fuzz", "Corpus", "slow")


def fuzz_findings():
    eight = header(rows=8, columns=8, bits=8, stored=8)
    write(REGRESSION, "fuzz_j2k_stream_end.dcm", encapsulated_file("1.2.840.10008.1.2.4.90", J2K_STREAM_END, eight))
    os.makedirs(SLOW, exist_ok=True)
    write(SLOW, "jpegls_charls_35s.jls", JPEGLS_CHARLS_SLOW)
    write(SLOW, "jpegls_charls_35s.dcm", encapsulated_file("1.2.840.10008.1.2.4.80", JPEGLS_CHARLS_SLOW, header(rows=4, columns=68, bits=16, stored=16)))


def hostile_numbers(le, base):
    """Numbers the grayscale pipeline must refuse before any arithmetic: NaN and infinity in FD,
    DS values far past anything a radiograph uses, a LUT Descriptor that is not 16-bit."""
    pixels = explicit(0x7FE0, 0x10, "OW", pixels16(16))
    nan, inf = struct.pack("<d", float("nan")), struct.pack("<d", float("inf"))
    write(REGRESSION, "window_center_nan_fd.dcm", meta(le) + base + explicit(0x28, 0x1050, "FD", nan) + explicit(0x28, 0x1051, "DS", b"400") + pixels)
    write(REGRESSION, "window_center_1e19.dcm", meta(le) + base + explicit(0x28, 0x1050, "DS", b"1E19") + explicit(0x28, 0x1051, "DS", b"400") + pixels)
    write(REGRESSION, "window_width_inf_fl.dcm", meta(le) + base + explicit(0x28, 0x1050, "DS", b"40") + explicit(0x28, 0x1051, "FL", struct.pack("<f", float("inf"))) + pixels)
    write(REGRESSION, "rescale_slope_1e19.dcm", meta(le) + base + explicit(0x28, 0x1052, "DS", b"0") + explicit(0x28, 0x1053, "DS", b"1E19") + pixels)
    write(REGRESSION, "rescale_intercept_inf_fd.dcm", meta(le) + base + explicit(0x28, 0x1052, "FD", inf) + explicit(0x28, 0x1053, "DS", b"1") + pixels)
    # A Modality LUT whose descriptor says 1e19 entries (as FD, which a file may claim).
    item = explicit(0x28, 0x3002, "FD", struct.pack("<3d", 1e19, 0, 16)) + explicit(0x28, 0x3006, "OW", pixels16(4))
    lut = tag(0x28, 0x3000) + b"SQ\0\0" + struct.pack("<I", 0xFFFFFFFF) + tag(0xFFFE, 0xE000) + struct.pack("<I", len(item)) + item + tag(0xFFFE, 0xE0DD) + b"\0\0\0\0"
    write(REGRESSION, "lut_descriptor_1e19.dcm", meta(le) + base + lut + pixels)
    # One frame past the per-frame pixel limit (8,000 x 8,000 = 64 M pixels), well under the byte limit.
    write(REGRESSION, "frame_past_pixel_limit.dcm", meta(le) + header(rows=8000, columns=8000, bits=8, stored=8) + explicit(0x7FE0, 0x10, "OB", b"\0" * 16))


def hostile_codestreams(base):
    """Codestreams whose headers disagree with Rows/Columns (4 x 4 here) or hold impossible
    tables: each decoder must refuse them before it allocates for what they declare."""
    sof3 = b"\xFF\xD8\xFF\xC3\x00\x0B\x0C\x00\x04\x00\x04\x01\x01\x11\x00"
    sos = b"\xFF\xDA\x00\x08\x01\x01\x00\x01\x00\x00"
    # Three codes of length 1 where two fit: the fast table would be filled past its end.
    overfull = b"\xFF\xC4\x00\x16\x00" + bytes([3] + [0] * 15) + b"\x00\x01\x02"
    write(REGRESSION, "jpeg_lossless_overfull_dht.dcm", encapsulated_file("1.2.840.10008.1.2.4.70", sof3 + overfull + sos + b"\x00" * 16 + b"\xFF\xD9", base))
    # 65535 x 65535 declared by SOF3 for a 4 x 4 image (17 GB of Int32 if believed).
    lying_sof3 = b"\xFF\xD8\xFF\xC3\x00\x0B\x10\xFF\xFF\xFF\xFF\x01\x01\x11\x00"
    dht = b"\xFF\xC4\x00\x14\x00" + bytes([0, 1] + [0] * 14) + b"\x05"
    write(REGRESSION, "jpeg_lossless_sof_dims_lie.dcm", encapsulated_file("1.2.840.10008.1.2.4.70", lying_sof3 + dht + sos + b"\x00" * 16 + b"\xFF\xD9", base))
    # A baseline JPEG whose frame header says 65500 x 65500 (the most libjpeg reads) in an 8-bit 4 x 4 image.
    eight = header(bits=8, stored=8)
    write(REGRESSION, "jpeg_baseline_sof_dims_lie.dcm", encapsulated_file("1.2.840.10008.1.2.4.50", baseline_jpeg(65500, 65500), eight))
    jpeg_ls = jpeg_ls_codestream(4, 4)
    if jpeg_ls:
        at = jpeg_ls.index(b"\xFF\xF7") + 5
        lying = jpeg_ls[:at] + struct.pack(">HH", 65535, 65535) + jpeg_ls[at + 4:]
        write(REGRESSION, "jpegls_sof_dims_lie.dcm", encapsulated_file("1.2.840.10008.1.2.4.80", lying, eight))
    else:
        print("make-corpus: dcmcjpls not found, jpegls_sof_dims_lie.dcm not written", file=sys.stderr)
    j2k = j2k_codestream(4, 4)
    if j2k:
        # SIZ: Xsiz, Ysiz at 8 and 12, tile size XTsiz, YTsiz at 24 and 28: one 40,000 x 40,000 tile.
        lying = j2k[:8] + struct.pack(">II", 40000, 40000) + j2k[16:24] + struct.pack(">II", 40000, 40000) + j2k[32:]
        write(REGRESSION, "j2k_siz_dims_lie.dcm", encapsulated_file("1.2.840.10008.1.2.4.90", lying, eight))
        # 16,384 components declared (Csiz at 40, then 3 bytes each): refused before decoding.
        components = j2k[:2] + b"\xFF\x51" + struct.pack(">H", 38 + 3 * 16384) + j2k[6:40] + struct.pack(">H", 16384) + j2k[42:45] * 16384 + j2k[45:]
        write(REGRESSION, "j2k_16384_components.dcm", encapsulated_file("1.2.840.10008.1.2.4.90", components, eight))
    # RLE: one segment declared for 8-bit data, but its offset points at a second, shorter run
    # and the segment ends after 3 of 16 bytes.
    rle = struct.pack("<16I", 1, 64, *([0] * 14)) + b"\x02\x01\x02\x03"
    write(REGRESSION, "rle_segment_short.dcm", encapsulated_file("1.2.840.10008.1.2.5", rle, eight))
    # RLE: segment offsets past each other (second segment before the first).
    rle = struct.pack("<16I", 2, 80, 64, *([0] * 13)) + b"\xF1\x00" * 16
    write(REGRESSION, "rle_segments_crossed.dcm", encapsulated_file("1.2.840.10008.1.2.5", rle, base))


def hostile_rasters():
    """PNG and JPEG files for the Imaging decoders (Tests/ImagingTests/HostileRasterTests.swift)."""
    valid = png(4, 4)
    # A chunk after IEND that claims 2 GB: bytes after IEND are ignored, never parsed.
    write(REGRESSION, "png_chunk_after_iend.png", valid + struct.pack(">I", 0x7FFFFFF0) + b"IDAT" + b"\0" * 8)
    # A chunk length past the specification's 2^31 - 1, and one past the end of the file.
    write(REGRESSION, "png_chunk_length_2g.png", valid[:33] + struct.pack(">I", 0xFFFFFFF0) + b"IDAT" + b"\0" * 16)
    write(REGRESSION, "png_chunk_length_past_end.png", valid[:33] + struct.pack(">I", 4096) + b"IDAT" + b"\0" * 16)
    # 8,000 x 8,000 (64 M pixels, past the 50 M limit) whose IDAT really inflates to the full size.
    compressor = zlib.compressobj(9)
    data = compressor.compress(b"\0" * (8000 * 8001)) + compressor.flush()
    write(REGRESSION, "png_past_pixel_limit.png", png(8000, 8000, data=data))
    # IHDR width 2^31 (past the specification's bound).
    write(REGRESSION, "png_width_2_31.png", png(1, 1)[:16] + struct.pack(">I", 0x80000000) + png(1, 1)[20:29]
          + struct.pack(">I", zlib.crc32(b"IHDR" + struct.pack(">IIBBBBB", 0x80000000, 1, 8, 0, 0, 0, 0)) & 0xFFFFFFFF) + png(1, 1)[33:])
    # A baseline JPEG whose frame header says 65500 x 65500 (the most libjpeg reads) over one block of data.
    write(REGRESSION, "jpeg_sof_65500.jpg", baseline_jpeg(65500, 65500))


if __name__ == "__main__":
    seeds()
    regression()
    print("make-corpus: wrote", len(os.listdir(SEED)), "seeds and", len(os.listdir(REGRESSION)), "regression files")
