import cv2, numpy as np, sface_ref as R
det = cv2.FaceDetectorYN.create(R.YUNET, "", (320, 320), 0.6, 0.3, 5000)
want = {"_groups/faceapi_sample2.jpg":[0,1,2], "_groups/faceapi_sample4.jpg":[1,2], "_groups/faceapi_sample5.jpg":[0,4], "_groups/insightface_t1_friends.jpg":[1,2,3,4,5], "_groups/faceapi_sample1.jpg":[1]}
tiles=[]
for p, ks in want.items():
    img = cv2.imread(R.PEOPLE + "/" + p); fs = R.detect(det, img)
    for k in ks:
        f = fs[k]; lm = f[4:14].reshape(5,2)
        c = lm[:2].mean(0); d = np.linalg.norm(lm[1]-lm[0])
        x0,y0 = int(c[0]-d*1.1), int(c[1]-d*0.5); x1,y1 = int(c[0]+d*1.1), int(c[1]+d*0.5)
        t = cv2.resize(img[max(y0,0):y1, max(x0,0):x1], (440,200), interpolation=cv2.INTER_CUBIC)
        cv2.putText(t, f"{p.split('/')[-1][:-4]} f{k}", (4,16), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (0,255,255), 1)
        tiles.append(t)
while len(tiles)%3: tiles.append(np.full_like(tiles[0],255))
rows=[np.hstack(tiles[i:i+3]) for i in range(0,len(tiles),3)]
cv2.imwrite("/tmp/research/ref2/_eyes_zoom.png", np.vstack(rows))
