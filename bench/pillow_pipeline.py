"""Pillow doing Prism's job, for comparison: the measuring child that run.ts starts for "pillow".

Same protocol as worker.ts: a WorkerSpec as JSON in argv[1]; prints "progress" lines, then one
"result {json}" line. Pillow at its best: JPEG draft mode (DCT shrink-on-load), decode once, embedded
ICC profile converted to sRGB, EXIF orientation applied, Lanczos resize from the decoded picture,
images in flight on threads (Pillow releases the GIL while it decodes, resizes and encodes).
"""
import io
import json
import os
import resource
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor

from PIL import Image, ImageCms, ImageOps

spec = json.loads(sys.argv[1])
plan = spec["plan"]
EXT = {"webp": "webp", "jpeg": "jpg", "png": "png"}
SRGB = ImageCms.createProfile("sRGB")


def reset_peak():
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def peak_rss():
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def cpu_ms():
    t = os.times()
    return (t.user + t.system) * 1000


def widths_for(source_width):
    return sorted({min(w, source_width) for w in plan["widths"]})


def crop_size(crop, width, height):
    """The crop's size, or the largest box of its shape inside the picture (Prism's cropSize)."""
    cw, ch = crop["width"], crop["height"]
    if width >= cw and height >= ch:
        return cw, ch
    if width * ch <= height * cw:
        return width, max(1, width * ch // cw)
    return max(1, height * cw // ch), height


def encode(picture, enc):
    buf = io.BytesIO()
    if enc["format"] == "webp":
        picture.save(buf, "WEBP", quality=enc["quality"], method=enc["effort"])
    elif enc["format"] == "jpeg":
        flat = picture
        if picture.mode == "RGBA":
            flat = Image.new("RGB", picture.size, (255, 255, 255))
            flat.paste(picture, mask=picture.getchannel("A"))
        flat.save(buf, "JPEG", quality=enc["quality"], progressive=enc["progressive"],
                  subsampling=2 if enc["chromaSubsampling"] == "4:2:0" else 0)
    else:
        # Pillow filters every row adaptively (minimum sum of absolute differences), as libpng does.
        picture.save(buf, "PNG", compress_level=6)
    return {"format": enc["format"], "width": picture.width, "height": picture.height, "data": buf.getvalue()}


def process(data):
    im = Image.open(io.BytesIO(data))
    widest = max(plan["widths"])
    if im.format == "JPEG":
        w, h = im.size
        if im.getexif().get(0x0112, 1) >= 5:
            w, h = h, w
        if w > widest:
            scale = widest / w
            # draft takes the stored (unrotated) size
            sw, sh = im.size
            im.draft("RGB", (max(1, int(sw * scale)), max(1, int(sh * scale))))
    icc = im.info.get("icc_profile")
    im = ImageOps.exif_transpose(im)
    has_alpha = im.mode in ("RGBA", "LA", "PA") or (im.mode == "P" and "transparency" in im.info)
    im = im.convert("RGBA" if has_alpha else "RGB")
    if icc:
        src = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        im = ImageCms.profileToProfile(im, src, SRGB, outputMode=im.mode)
    if im.width > widest:
        im = im.resize((widest, max(1, round(im.height * widest / im.width))), Image.LANCZOS)
    outputs = []
    for width in widths_for(im.width):
        resized = im if width == im.width else im.resize((width, max(1, round(im.height * width / im.width))), Image.LANCZOS)
        outputs.extend(encode(resized, enc) for enc in plan["encodings"])
    # The named crops, from the same decode. Pillow has no content-aware strategy: a centre crop.
    for crop in plan["crops"]:
        cut = ImageOps.fit(im, crop_size(crop, im.width, im.height), Image.LANCZOS)
        outputs.extend(encode(cut, enc) | {"crop": crop["name"]} for enc in plan["encodings"])
    return outputs


def progress():
    sys.stdout.write("progress\n")
    sys.stdout.flush()


warm = io.BytesIO()
Image.new("RGB", (400, 300), (80, 128, 176)).save(warm, "JPEG")
process(warm.getvalue())
baseline = 0
with open("/proc/self/status") as f:
    for line in f:
        if line.startswith("VmRSS:"):
            baseline = int(line.split()[1]) * 1024
resettable = reset_peak()

inputs = []
for path in spec["files"]:
    with open(path, "rb") as f:
        inputs.append(f.read())

images = []
for index, (path, data) in enumerate(zip(spec["files"], inputs) if spec["perImageRepeat"] > 0 else []):
    runs = []
    outputs = []
    for run in range(spec["perImageRepeat"]):
        reset_peak()
        c0, t0 = cpu_ms(), time.perf_counter()
        result = process(data)
        runs.append(((time.perf_counter() - t0) * 1000, cpu_ms() - c0, peak_rss()))
        if run == 0:
            outputs = [{k: o[k] for k in ("format", "crop", "width", "height") if k in o} | {"bytes": len(o["data"])} for o in result]
            if spec.get("outDir"):
                d = os.path.join(spec["outDir"], str(index))
                os.makedirs(d, exist_ok=True)
                for o in result:
                    with open(os.path.join(d, f"{o.get('crop', o['width'])}.{EXT[o['format']]}"), "wb") as f:
                        f.write(o["data"])
        progress()
    images.append({
        "file": path, "inputBytes": len(data),
        "wallMs": statistics.median(r[0] for r in runs), "cpuMs": statistics.median(r[1] for r in runs),
        "peakRssBytes": max(r[2] for r in runs), "outputs": outputs,
    })

total_runs = []
for _ in range(spec["totalRepeat"]):
    reset_peak()
    c0, t0 = cpu_ms(), time.perf_counter()

    def one(data):
        process(data)
        progress()

    with ThreadPoolExecutor(max_workers=max(1, spec["concurrency"])) as pool:
        list(pool.map(one, inputs))
    total_runs.append({"wallMs": (time.perf_counter() - t0) * 1000, "cpuMs": cpu_ms() - c0, "peakRssBytes": peak_rss()})

figures = {
    "pipeline": "pillow", "baselineRssBytes": baseline,
    "peakRssMethod": "VmHWM reset per measurement" if resettable else "process lifetime maxRSS",
    "images": images,
}
if total_runs:
    figures["total"] = {
        "wallMs": statistics.median(r["wallMs"] for r in total_runs),
        "cpuMs": statistics.median(r["cpuMs"] for r in total_runs),
        "peakRssBytes": max(r["peakRssBytes"] for r in total_runs),
        "runs": total_runs,
    }
sys.stdout.write("result " + json.dumps(figures) + "\n")
