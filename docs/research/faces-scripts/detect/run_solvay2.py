import sys, json, numpy as np
sys.path.insert(0,'/tmp/research/scripts')
from blazeface_ref import *
exec(open(f'{R}/scripts/run_solvay.py').read().split('res={}')[0].split('from blazeface_ref import *')[1])
def tiles(it,T,thr):
    st=T//2; xs=list(range(0,W-T+1,st)); ys=list(range(0,H-T+1,st))
    if xs[-1]+T<W: xs.append(W-T)
    if ys[-1]+T<H: ys.append(H-T)
    out=[]
    for y in ys:
        for x in xs: out+=detect_roi(it,img,(x,y,T,T),thr)[0]
    return out
res={}
for kind in ('dense','sparse'):
    it=make_interp(kind)
    x,off=letterbox(img,(0,0,W,H)); reg,sc=run(it,x); s=1/(1+np.exp(-np.clip(sc,-100,100)))
    print(kind,'whole image: max score',float(s.max()))
    for thr in (0.5,0.6):
        raw={T:tiles(it,T,thr) for T in (288,384)}
        for T in (288,384):
            m=weighted_nms(raw[T],0.3); res[f'{kind}_tiles{T}_thr{thr}']=m
            print(f'  {kind} thr {thr} tiles {T}: merged {len(m)}, matched {match(m)}/29, false+ {len(m)-match(m)}')
        m=weighted_nms(raw[288]+raw[384],0.3); res[f'{kind}_tiles288+384_thr{thr}']=m
        print(f'  {kind} thr {thr} tiles 288+384: merged {len(m)}, matched {match(m)}/29, false+ {len(m)-match(m)}')
json.dump(res,open(f'{R}/ref/blazeface_full_range_solvay_detections.json','w'),indent=1)
