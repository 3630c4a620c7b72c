import sys, json, numpy as np, collections
sys.path.insert(0,'/tmp/research/scripts')
from blazeface_ref import *
img=Image.open(f'{R}/dl/rustface-0.1.7/test.png').convert('RGB')
mp=json.load(open(f'{R}/ref/mediapipe_solution_tiles384.json'))['tiles384']
bytile=collections.defaultdict(list)
for d in mp: bytile[tuple(d['tile'])].append(d)
THR=float(sys.argv[1]) if len(sys.argv)>1 else 0.5
it=make_interp('sparse'); T=384; W,H=img.size
xs=list(range(0,W-T+1,T//2)); ys=list(range(0,H-T+1,T//2))
if xs[-1]+T<W: xs.append(W-T)
if ys[-1]+T<H: ys.append(H-T)
mine_n=0; maxdiff=0; unmatched=[]
for y in ys:
    for x in xs:
        mine,_,_,_=detect_roi(it,img,(x,y,T,T),THR); mine_n+=len(mine)
        theirs=bytile.get((x,y,T),[])
        for m in mine:
            best=min(theirs,key=lambda t:abs(t['xmin']-m['xmin'])+abs(t['ymin']-m['ymin']),default=None)
            if best is None or abs(best['xmin']-m['xmin'])>5: unmatched.append((x,y,round(m['score'],3))); continue
            maxdiff=max(maxdiff,abs(best['score']-m['score']),*[abs(best[k]-m[k]) for k in ('xmin','ymin','xmax','ymax')])
        for t in theirs:
            if not any(abs(t['xmin']-m['xmin'])<=5 for m in mine): unmatched.append(('MP-only',x,y,round(t['score'],3)))
print('mine',mine_n,'mediapipe',len(mp),'max |diff| (px or score) on matched',round(maxdiff,3)); print('unmatched',unmatched)
