import glob, os, cv2, numpy as np
import sface_ref as R
det = cv2.FaceDetectorYN.create(R.YUNET, "", (320, 320), 0.6, 0.3, 5000)
out = "/tmp/research/ref2/facecrops"; os.makedirs(out, exist_ok=True)
tiles = []; names = []
paths = sorted(glob.glob(R.PEOPLE + "/*/*.jpg") + glob.glob(R.PEOPLE + "/*/*.png"))
for p in paths:
    if "_derived" in p: continue
    img = cv2.imread(p)
    if img.shape[:2] == (112, 112): continue
    for k, f in enumerate(R.detect(det, img)):
        x, y, w, h = [int(v) for v in f[:4]]
        s = int(max(w, h) * 1.2); cx, cy = x + w // 2, y + h // 2
        x0, y0 = max(cx - s // 2, 0), max(cy - s // 2, 0)
        crop = cv2.resize(img[y0:y0 + s, x0:x0 + s], (160, 160))
        nm = f"{os.path.basename(p).rsplit('.',1)[0]}_f{k}"
        cv2.putText(crop, nm[-14:], (2, 155), cv2.FONT_HERSHEY_SIMPLEX, 0.35, (0, 255, 255), 1)
        tiles.append(crop); names.append((nm, x, y, w, h))
cols = 8; rows = (len(tiles) + cols - 1) // cols
sheet = np.full((rows * 160, cols * 160, 3), 255, np.uint8)
for i, t in enumerate(tiles):
    sheet[(i // cols) * 160:(i // cols + 1) * 160, (i % cols) * 160:(i % cols + 1) * 160] = t
cv2.imwrite("/tmp/research/ref2/_crops_sheet.png", sheet)
for i, n in enumerate(names): print(i, *n)
