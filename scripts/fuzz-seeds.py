#!/usr/bin/env python3
"""Seed corpora for the fuzz targets (scripts/fuzz seed).

usage: fuzz-seeds.py PHOTOS FIXTURES OUT

Every seed is a real file (or a real file's head) from PHOTOS and FIXTURES,
prefixed with the byte that makes the target read it as its own format (see
src/fuzz.rs). Small decoder seeds are made from the photos with Pillow and
libjpeg-turbo's cjpeg: a fuzzer is fast on small pictures, and the encoders'
options (progressive, arithmetic coding, restart markers, grey, CMYK,
palettes, 16-bit, interlacing) reach code a camera file alone does not.
"""
import hashlib
import io
import os
import subprocess
import sys
import tempfile

from PIL import Image

photos, fixtures, out = sys.argv[1:4]

EXIF_FORMATS = ["jpeg", "tiff", "heic", "png", "webp", "avif"]
RAW_FORMATS = ["cr3", "raf", "mrw", "x3f", "crw", "orf", "rw2", "cr2", "nef", "dng", "arw", "pef", "srw"]
IMAGE_FORMATS = ["png", "tiff", "webp", "gif", "bmp"]
INSPECT_NAMES = ["a.jpg", "a.tif", "a.heic", "a.png", "a.webp", "a.cr3", "a.raf", "a.mrw", "a.x3f", "a.crw",
                 "a.orf", "a.rw2", "a.cr2", "a.nef", "a.dng", "a.gif", "a.avif", "a.xmp", "a.txt"]
EXT_FORMAT = {"jpg": "jpeg", "jpeg": "jpeg", "tif": "tiff", "tiff": "tiff", "heic": "heic", "heif": "heic",
              "avif": "avif", "png": "png", "webp": "webp", "gif": "gif", "bmp": "bmp"}

counts = {}


def put(target, data):
    d = os.path.join(out, target)
    os.makedirs(d, exist_ok=True)
    name = hashlib.sha1(data).hexdigest()
    path = os.path.join(d, name)
    if not os.path.exists(path):
        with open(path, "wb") as f:
            f.write(data)
        counts[target] = counts.get(target, 0) + 1


def files(*roots):
    for root in roots:
        for dp, _, names in os.walk(root):
            for n in sorted(names):
                p = os.path.join(dp, n)
                if os.path.isfile(p) and "/fuzz/" not in p:
                    yield p, n.rsplit(".", 1)[-1].lower() if "." in n else ""


def read(p, limit):
    with open(p, "rb") as f:
        return f.read(limit)


def small_pictures():
    """Small pictures cut from real photos: the decoders' raw material."""
    pics = []
    for p, ext in files(photos):
        if ext in ("jpg", "jpeg") and len(pics) < 6:
            try:
                im = Image.open(p).convert("RGB")
                im.thumbnail((96, 96))
                pics.append(im)
            except Exception:
                pass
    return pics


all_files = list(files(photos, fixtures))

# exif: JPEG heads (EXIF sits in the first segments), containers whole
# (cut to 1 MiB).
for p, ext in all_files:
    fmt = EXT_FORMAT.get(ext)
    if fmt in EXIF_FORMATS:
        put("exif", bytes([EXIF_FORMATS.index(fmt)]) + read(p, 65536 if fmt == "jpeg" else 1 << 20))

# raw: every raw file's first MiB (headers, IFDs, CR3 boxes, maker notes).
for p, ext in all_files:
    if ext in RAW_FORMATS:
        put("raw", bytes([RAW_FORMATS.index(ext)]) + read(p, 1 << 20))
    elif ext in ("iiq", "3fr"):
        put("raw", bytes([RAW_FORMATS.index("dng")]) + read(p, 1 << 20))

# xmp: sidecars, and the heads of files that carry a packet or IPTC.
for p, ext in all_files:
    data = read(p, 1 << 20)
    if ext == "xmp":
        put("xmp", data)
    elif b"<x:xmpmeta" in data or b"Photoshop 3.0" in data[:65536]:
        i = data.find(b"<?xpacket begin")
        j = data.find(b"<?xpacket end")
        if 0 <= i < j:
            put("xmp", data[i:j + 20])
        if ext in ("jpg", "jpeg"):
            put("xmp", data[:65536])

# inspect: every file's head, named by its extension.
for p, ext in all_files:
    name = "a." + ext
    idx = INSPECT_NAMES.index(name) if name in INSPECT_NAMES else INSPECT_NAMES.index("a.txt")
    put("inspect", bytes([idx]) + read(p, 65536))

pics = small_pictures()

# jpeg: small JPEGs in every coding libjpeg-turbo reads, plus the EXIF
# thumbnails and raw previews cameras themselves encoded (whole, if small).
with tempfile.TemporaryDirectory() as tmp:
    for k, im in enumerate(pics):
        ppm = os.path.join(tmp, f"{k}.ppm")
        im.save(ppm)
        variants = [[], ["-progressive"], ["-arithmetic"], ["-restart", "1"], ["-grayscale"],
                    ["-sample", "1x1"], ["-sample", "2x1"], ["-quality", "5"], ["-quality", "100"],
                    ["-optimize", "-progressive", "-restart", "2B"]]
        for v in variants[:(len(variants) if k < 2 else 3)]:
            r = subprocess.run(["cjpeg", *v, ppm], capture_output=True)
            if r.returncode == 0:
                put("jpeg", bytes([0x10 * (k % 9)]) + r.stdout)
        b = io.BytesIO()
        im.convert("CMYK").save(b, "JPEG", quality=80)
        put("jpeg", bytes([0]) + b.getvalue())
for p, ext in all_files:
    data = read(p, 8 << 20)
    if ext in ("jpg", "jpeg") or ext in RAW_FORMATS:
        # A second SOI...EOI inside the file: an embedded thumbnail/preview.
        i = data.find(b"\xff\xd8\xff", 4)
        if i > 0:
            j = data.find(b"\xff\xd9", i)
            if 0 < j - i < 256 << 10:
                put("jpeg", bytes([0]) + data[i:j + 2])
    if ext in ("jpg", "jpeg") and os.path.getsize(p) < 256 << 10:
        put("jpeg", bytes([0x10]) + data)

# heif: the small HEIC/AVIF files whole, and small ones encoded here when
# libheif's encoder is installed.
for p, ext in all_files:
    if ext in ("heic", "heif", "avif") and os.path.getsize(p) < 1 << 20:
        put("heif", bytes([1 if ext == "avif" else 0]) + read(p, 1 << 20))
with tempfile.TemporaryDirectory() as tmp:
    for k, im in enumerate(pics[:3]):
        png = os.path.join(tmp, f"{k}.png")
        im.save(png)
        for flag, args in ((0, []), (1, ["-A"])):
            dst = os.path.join(tmp, f"{k}-{flag}.heif")
            try:
                r = subprocess.run(["heif-enc", *args, "-q", "50", "-o", dst, png], capture_output=True)
            except FileNotFoundError:
                break
            if r.returncode == 0:
                put("heif", bytes([flag]) + read(dst, 1 << 20))

# image: small PNG, TIFF, WebP, GIF and BMP in their variants.
for k, im in enumerate(pics[:3]):
    def enc(fmt, img, **kw):
        b = io.BytesIO()
        img.save(b, fmt, **kw)
        put("image", bytes([IMAGE_FORMATS.index(fmt.lower()) + 0x10 * (k % 9)]) + b.getvalue())
    small = im.copy()
    small.thumbnail((48, 48))
    enc("PNG", small)
    enc("PNG", small.convert("P"), optimize=True)
    enc("PNG", small.convert("LA"))
    enc("PNG", small.convert("RGBA"))
    enc("PNG", small.convert("I;16"))
    enc("PNG", small.convert("1"))
    enc("TIFF", small)
    enc("TIFF", small, compression="tiff_lzw")
    enc("TIFF", small, compression="tiff_adobe_deflate")
    enc("TIFF", small, compression="packbits")
    enc("TIFF", small.convert("L"))
    enc("TIFF", small.convert("CMYK"))
    enc("WEBP", small, quality=50)
    enc("WEBP", small, lossless=True)
    enc("WEBP", small.convert("RGBA"), lossless=True)
    enc("GIF", small.convert("P"))
    enc("BMP", small)
    enc("BMP", small.convert("P"))
for p, ext in all_files:
    fmt = EXT_FORMAT.get(ext)
    if fmt in IMAGE_FORMATS and os.path.getsize(p) < 256 << 10:
        put("image", bytes([IMAGE_FORMATS.index(fmt)]) + read(p, 256 << 10))

# pixels: real pixels at odd sizes (1x1, 1xN, Nx1, huge aspect, tiny).
for k, im in enumerate(pics[:3]):
    raw = im.tobytes()
    w, h = im.size
    for (nw, nh) in ((1, 1), (1, 40), (40, 1), (200, 2), (2, 200), (3, 3), (w, h), (17, 9)):
        crop = im.resize((nw, nh)).tobytes()
        put("pixels", (nw - 1).to_bytes(2, "little") + crop)
    put("pixels", (w - 1).to_bytes(2, "little") + raw)
put("pixels", (0).to_bytes(2, "little") + bytes(3))
put("pixels", (63).to_bytes(2, "little") + bytes(64 * 48 * 3))

# models: the small models we can find; a tiny safetensors file made here.
for p, ext in all_files:
    if ext in ("tflite", "onnx", "safetensors") and os.path.getsize(p) < 4 << 20:
        put("models", bytes([{"tflite": 0, "safetensors": 1, "onnx": 2}[ext]]) + read(p, 4 << 20))
models_dir = os.environ.get("HMA_MODELS_DIR", os.path.expanduser("~/.local/share/home-media-ai/models"))
for p, ext in files(models_dir):
    if ext in ("tflite", "onnx", "safetensors") and os.path.getsize(p) < 1 << 20:
        put("models", bytes([{"tflite": 0, "safetensors": 1, "onnx": 2}[ext]]) + read(p, 1 << 20))
header = b'{"w":{"dtype":"F32","shape":[2,2],"data_offsets":[0,16]},"__metadata__":{"a":"b"}}'
put("models", bytes([1]) + len(header).to_bytes(8, "little") + header + bytes(16))

# query: the search language's examples.
for q in ["person:Anna has:dog place:Bavaria (month:7 OR month:8) -eyes:closed score>=0.5",
          'place:"New York" year:2019..2021 NOT tag:screenshot', "label:red stars>=3 flag:pick",
          "taken:2023-12-24 camera:\"Canon EOS\" iso<800", "(a OR (b -c)) d:\"e f\" g>=1.5 h<2",
          "person:\"Anna\" person:Ben faces>=2 date:2020-01..2020-03", "-(", "\"unterminated", "x:",
          "month:jul rating<3 has:cell_phone NOT has:cat", "date:2021-12-24..2022-01-06 eyes:open"]:
    put("query", q.encode())

for t in sorted(counts):
    print(f"{t}: {counts[t]} new seeds")
