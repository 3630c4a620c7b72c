# Dumps every op of a .tflite graph: op type, options, input/output tensor names+shapes+dtypes.
import sys, numpy as np, tflite
from tflite.BuiltinOperator import BuiltinOperator
from tflite.TensorType import TensorType
from tflite.BuiltinOptions import BuiltinOptions
from tflite.Padding import Padding
from tflite.ActivationFunctionType import ActivationFunctionType
OPN={v:k for k,v in BuiltinOperator.__dict__.items() if not k.startswith('_')}
TTN={v:k for k,v in TensorType.__dict__.items() if not k.startswith('_')}
PADN={v:k for k,v in Padding.__dict__.items() if not k.startswith('_')}
ACTN={v:k for k,v in ActivationFunctionType.__dict__.items() if not k.startswith('_')}
def opts(op, name):
    t=op.BuiltinOptions()
    if t is None: return ''
    def load(cls):
        o=cls(); o.Init(t.Bytes,t.Pos); return o
    if name=='CONV_2D':
        o=load(tflite.Conv2DOptions); return f"stride={o.StrideH()}x{o.StrideW()} pad={PADN[o.Padding()]} act={ACTN[o.FusedActivationFunction()]} dil={o.DilationHFactor()}"
    if name=='DEPTHWISE_CONV_2D':
        o=load(tflite.DepthwiseConv2DOptions); return f"stride={o.StrideH()}x{o.StrideW()} pad={PADN[o.Padding()]} act={ACTN[o.FusedActivationFunction()]} mult={o.DepthMultiplier()}"
    if name in('MAX_POOL_2D','AVERAGE_POOL_2D'):
        o=load(tflite.Pool2DOptions); return f"filter={o.FilterHeight()}x{o.FilterWidth()} stride={o.StrideH()}x{o.StrideW()} pad={PADN[o.Padding()]}"
    if name=='ADD':
        o=load(tflite.AddOptions); return f"act={ACTN[o.FusedActivationFunction()]}"
    if name=='RESIZE_BILINEAR':
        o=load(tflite.ResizeBilinearOptions); return f"align_corners={o.AlignCorners()} half_pixel_centers={o.HalfPixelCenters()}"
    if name=='CONCATENATION':
        o=load(tflite.ConcatenationOptions); return f"axis={o.Axis()}"
    return ''
path=sys.argv[1]; buf=open(path,'rb').read(); m=tflite.Model.GetRootAsModel(buf,0); g=m.Subgraphs(0)
codes=[]
for i in range(m.OperatorCodesLength()):
    oc=m.OperatorCodes(i); c=max(oc.BuiltinCode(),oc.DeprecatedBuiltinCode())
    codes.append(OPN.get(c,c) if c!=32 else 'CUSTOM:'+oc.CustomCode().decode())
def tdesc(ti):
    if ti<0: return '-'
    t=g.Tensors(ti); b=m.Buffers(t.Buffer()); const = b is not None and b.DataLength()>0
    s=f"{t.Name().decode()}{t.ShapeAsNumpy().tolist() if t.ShapeLength() else []}:{TTN[t.Type()]}"
    if const and TTN[t.Type()]=='INT32' and b.DataLength()<=64: s+='='+str(np.frombuffer(b.DataAsNumpy().tobytes(),dtype='<i4').tolist())
    return s+('(const)' if const else '')
for j in range(g.OperatorsLength()):
    op=g.Operators(j); name=codes[op.OpcodeIndex()]
    if name=='DEQUANTIZE' and '--all' not in sys.argv: continue
    ins=[tdesc(i) for i in op.InputsAsNumpy()]; outs=[tdesc(i) for i in op.OutputsAsNumpy()]
    print(f"{j:4d} {name} {opts(op,name)} | in: {', '.join(ins)} | out: {', '.join(outs)}")
