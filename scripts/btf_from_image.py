#!/usr/bin/env python3
"""Writes the BTF blob embedded in a kernel image (an arm64 Image, which
has no ELF sections to read .BTF from) to a file for
`bpftool btf dump file OUT format c`.

The blob is found by its header: magic 0xeB9F, version 1, a 24-byte header,
and a type section (vmlinux's is megabytes; modules and small test blobs
inside an image are skipped by requiring over 1 MB).

usage: btf_from_image.py IMAGE OUT"""
import struct
import sys

HEADER = b"\x9f\xeb\x01\x00\x18\x00\x00\x00"


def find_btf(image):
    at = image.find(HEADER)
    while at >= 0:
        _, _, _, hdr_len, _, type_len, str_off, str_len = struct.unpack_from("<HBBIIIII", image, at)
        if type_len > 1_000_000:
            return image[at:at + hdr_len + str_off + str_len]
        at = image.find(HEADER, at + 1)
    return None


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__.strip().splitlines()[-1])
    with open(sys.argv[1], "rb") as f:
        blob = find_btf(f.read())
    if blob is None:
        sys.exit(f"btf_from_image: no vmlinux BTF in {sys.argv[1]} (is it gzip'd? decompress it first)")
    with open(sys.argv[2], "wb") as f:
        f.write(blob)


if __name__ == "__main__":
    main()
