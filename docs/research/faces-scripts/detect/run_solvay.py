import sys, json, numpy as np
sys.path.insert(0,'/tmp/research/scripts')
from blazeface_ref import *
img=Image.open(f'{R}/dl/rustface-0.1.7/test.png').convert('RGB'); W,H=img.size
gt=json.load(open(f'{R}/ref/solvay_red_boxes_in_png.json'))['boxes_xywh']
gt=[g for g in gt if g[2]<90]+[[1042,200,57,57],[1079,255,57,57]]  # split merged pair approx
def match(dets):
    hit=set()
    for d in dets:
        cx=(d['xmin']+d['xmax'])/2; cy=(d['ymin']+d['ymax'])/2
        for i,(x,y,w,h) in enumerate(gt):
            if x-w*0.25<=cx<=x+w*1.25 and y-h*0.25<=cy<=y+h*1.25: hit.add(i); break
    return len(hit)
res={}
for kind in ('dense','sparse'):
    it=make_interp(kind)
    d,_,_,_=detect_roi(it,img,(0,0,W,H),0.5)
    res[f'{kind}_whole']=d
    print(kind,'whole image ->',len(d),'faces; matched',match(d), 'max score', max([x['score'] for x in d],default=None))
    for T in (192,288,384,576):
        st=T//2; dets=[]
        xs=list(range(0,max(W-T,0)+1,st)); ys=list(range(0,max(H-T,0)+1,st))
        if xs[-1]+T<W: xs.append(W-T)
        if ys[-1]+T<H: ys.append(H-T)
        for y in ys:
            for x in xs:
                dd,_,_,_=detect_roi(it,img,(x,y,T,T),0.5); dets+=dd
        # merge across tiles: convert to a form weighted_nms accepts (same keys)
        merged=weighted_nms(dets,0.3)
        sizes=[m['xmax']-m['xmin'] for m in merged]
        print(f'{kind} tiles {T}px stride {st} ({len(xs)*len(ys)} tiles, face~{55*192/T:.0f}px in tensor): raw {len(dets)}, merged {len(merged)}, matched to red boxes {match(merged)}/29, box w median {np.median(sizes) if sizes else 0:.0f}')
        res[f'{kind}_tiles{T}']=merged
json.dump(res,open(f'{R}/ref/blazeface_full_range_solvay_detections.json','w'),indent=1)
