import glob, os, json, cv2, numpy as np, sface_ref as R
from ai_edge_litert.interpreter import Interpreter
TFL = "/tmp/research/dl2/pypi/mp_old/x/mediapipe/modules/face_landmark/face_landmark.tflite"
it = Interpreter(model_path=TFL); it.allocate_tensors()
ind = it.get_input_details(); outd = it.get_output_details()
print("inputs", [(d['name'], d['shape'].tolist(), d['dtype'].__name__) for d in ind])
print("outputs", [(d['name'], d['shape'].tolist()) for d in outd])
det = cv2.FaceDetectorYN.create(R.YUNET, "", (320, 320), 0.6, 0.3, 5000)
N = 192
def ear_for(img, f):
    x, y, w, h = f[:4]; lm = f[4:14].reshape(5, 2)
    cx, cy = x + w / 2, y + h / 2; size = max(w, h) * 1.5
    ang = np.degrees(np.arctan2(lm[1][1] - lm[0][1], lm[1][0] - lm[0][0]))
    M = cv2.getRotationMatrix2D((cx, cy), ang, N / size)
    M[0, 2] += N / 2 - cx; M[1, 2] += N / 2 - cy
    crop = cv2.warpAffine(img, M, (N, N), flags=cv2.INTER_LINEAR)
    x_in = (crop[:, :, ::-1].astype(np.float32) / 255.0)[None]
    it.set_tensor(ind[0]['index'], x_in); it.invoke()
    outs = {d['name']: it.get_tensor(d['index']) for d in outd}
    pts = [v for v in outs.values() if v.size == 1404][0].reshape(468, 3)
    flag = [v for v in outs.values() if v.size == 1][0].item()
    p = lambda i: pts[i, :2]; d = lambda a, b: np.linalg.norm(p(a) - p(b))
    ear = lambda ix: (d(ix[1], ix[5]) + d(ix[2], ix[4])) / (2 * d(ix[0], ix[3]))
    return ear([33, 160, 158, 133, 153, 144]), ear([362, 385, 387, 263, 373, 380]), 1 / (1 + np.exp(-flag))
res = []
for pth in sorted(glob.glob(R.PEOPLE + "/*/*")):
    if "_derived" in pth or not pth.endswith((".jpg", ".png")): continue
    img = cv2.imread(pth)
    if img.shape[:2] == (112, 112): continue
    for k, f in enumerate(R.detect(det, img)):
        r, l, pres = ear_for(img, f)
        res.append(dict(file=pth.split("/people/")[1], face=k, box=[round(float(v)) for v in f[:4]], ear_r=round(float(r), 3), ear_l=round(float(l), 3), presence=round(float(pres), 3)))
for x in res: print(x["file"], x["face"], x["ear_r"], x["ear_l"], x["presence"])
json.dump(res, open("/tmp/research/ref2/mediapipe_face_landmark_ear.json", "w"), indent=0)
