import sys, hashlib, os, collections
import numpy as np, tflite
from tflite.BuiltinOperator import BuiltinOperator
from tflite.TensorType import TensorType
OPN = {v:k for k,v in BuiltinOperator.__dict__.items() if not k.startswith('_')}
TTN = {v:k for k,v in TensorType.__dict__.items() if not k.startswith('_')}
for path in sys.argv[1:]:
    buf = open(path,'rb').read()
    m = tflite.Model.GetRootAsModel(buf, 0)
    print(f"### {path}\nsize={len(buf)} sha256={hashlib.sha256(buf).hexdigest()} version={m.Version()} subgraphs={m.SubgraphsLength()}")
    desc = m.Description()
    print("description:", desc)
    for i in range(m.MetadataLength()):
        md = m.Metadata(i); print("metadata:", md.Name().decode(), "buffer", md.Buffer(), "len", m.Buffers(md.Buffer()).DataLength())
    opcodes=[]
    for i in range(m.OperatorCodesLength()):
        oc=m.OperatorCodes(i); code=max(oc.BuiltinCode(), oc.DeprecatedBuiltinCode())
        opcodes.append(OPN.get(code,code) if code!=32 else "CUSTOM:"+oc.CustomCode().decode())
    for si in range(m.SubgraphsLength()):
        g=m.Subgraphs(si)
        cnt=collections.Counter(opcodes[g.Operators(j).OpcodeIndex()] for j in range(g.OperatorsLength()))
        print(f"subgraph {si} name={g.Name()} ops={g.OperatorsLength()} tensors={g.TensorsLength()}")
        print("op counts:", dict(sorted(cnt.items())))
        def td(t):
            tt=g.Tensors(t); q=tt.Quantization()
            qs = (q.ScaleAsNumpy().tolist()[:3] if q is not None and q.ScaleLength() else None)
            return f"{tt.Name().decode()} shape={tt.ShapeAsNumpy().tolist()} dtype={TTN[tt.Type()]} quant_scale={qs}"
        for t in g.InputsAsNumpy(): print("  IN ", t, td(t))
        for t in g.OutputsAsNumpy(): print("  OUT", t, td(t))
        # constant tensor dtypes (buffers with data)
        cd=collections.Counter(); nparams=collections.Counter()
        for t in range(g.TensorsLength()):
            tt=g.Tensors(t); b=m.Buffers(tt.Buffer())
            if b is not None and (b.DataLength()>0 or b.Size()>0 if hasattr(b,'Size') else b.DataLength()>0):
                cd[TTN[tt.Type()]]+=1; nparams[TTN[tt.Type()]]+=int(np.prod(tt.ShapeAsNumpy())) if tt.ShapeLength() else 1
            if tt.Sparsity() is not None: cd['SPARSE_TENSORS']+=1
        print("  constant tensors by dtype:", dict(cd), "elements:", dict(nparams))
