# Runs the real MediaPipe 0.10.21 FaceDetection solution (model_selection=1 -> full_range_sparse) on tiles.
import json, numpy as np
from PIL import Image
import mediapipe as mp
R='/tmp/research'
img=Image.open(f'{R}/dl/rustface-0.1.7/test.png').convert('RGB'); W,H=img.size
out={}
with mp.solutions.face_detection.FaceDetection(min_detection_confidence=0.5, model_selection=1) as fd:
    r=fd.process(np.asarray(img)); out['whole']=[]
    for d in (r.detections or []): out['whole'].append(d.score[0])
    for T in (384,):
        st=T//2; xs=list(range(0,W-T+1,st)); ys=list(range(0,H-T+1,st))
        if xs[-1]+T<W: xs.append(W-T)
        if ys[-1]+T<H: ys.append(H-T)
        tl=[]
        for y in ys:
            for x in xs:
                r=fd.process(np.ascontiguousarray(np.asarray(img.crop((x,y,x+T,y+T)))))
                for d in (r.detections or []):
                    b=d.location_data.relative_bounding_box
                    kps=[(x+k.x*T,y+k.y*T) for k in d.location_data.relative_keypoints]
                    tl.append(dict(tile=[x,y,T],score=d.score[0],xmin=x+b.xmin*T,ymin=y+b.ymin*T,xmax=x+(b.xmin+b.width)*T,ymax=y+(b.ymin+b.height)*T,kp=kps))
        out[f'tiles{T}']=tl
print('whole:',out['whole']); print('tiles384 raw per-tile detections:',len(out['tiles384']))
json.dump(out,open(f'{R}/ref/mediapipe_solution_tiles384.json','w'),indent=1)
