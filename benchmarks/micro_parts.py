"""Isolated costs behind the proposals: crossentropy paths and Adam implementations (CPU µs).

    python benchmarks/micro_parts.py
"""
import sys, os
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__))); os.environ["KERAS_BACKEND"]="torch"
import torch, torch.nn.functional as F, kerastorch
from kerastorch import losses
from profile_fit import cpu_us
torch.set_num_threads(1)
torch.manual_seed(0)
n = 500
for B, C, act, base in ((32, 10, "softmax", losses.CategoricalCrossentropy()), (16, 1, "sigmoid", losses.BinaryCrossentropy())):
    logits = torch.randn(B, C, requires_grad=True)
    y = torch.nn.functional.one_hot(torch.randint(0, C, (B,)), C).float() if C > 1 else (torch.rand(B, 1) > 0.5).float()
    fused = losses.fused_from_logits(base, act)
    actf = torch.softmax if act == "softmax" else (lambda t, dim=None: torch.sigmoid(t))
    def current():
        logits.grad = None
        base(y, actf(logits, dim=-1)).backward()
    def fusedf():
        logits.grad = None
        fused(y, logits).backward()
    def hand():
        logits.grad = None
        (F.cross_entropy(logits, y.argmax(1)) if C > 1 else F.binary_cross_entropy_with_logits(logits, y)).backward()
    for _ in range(2):
        print(act, B, C, "current (act + prob loss) fwd+bwd %.1f µs | fused logits %.1f | torch F %.1f" % (cpu_us(current, n), cpu_us(fusedf, n), cpu_us(hand, n)))
# optimizers on MLP32 parameter shapes
shapes = [(784, 128), (128,), (128, 10), (10,)]
def params(): return [torch.nn.Parameter(torch.randn(s)) for s in shapes]
grads = [torch.randn(s) for s in shapes]
def mk(opt, ps):
    def f():
        for p, g in zip(ps, grads): p.grad = g
        opt.step()
    return f
p1, p2, p3, p4 = params(), params(), params(), params()
kt = kerastorch.optimizers.Adam(epsilon=1e-7); kt.build(p1)
fe = torch.optim.Adam(p2, eps=1e-7, foreach=True)
fu = torch.optim.Adam(p3, eps=1e-7, fused=True)
for _ in range(2):
    print("Adam step on MLP params: kerastorch %.1f µs | torch foreach %.1f | torch fused %.1f" % (cpu_us(mk(kt, p1), n), cpu_us(mk(fe, p2), n), cpu_us(mk(fu, p3), n)))
shapes = [(16, 8), (8,), (8, 1), (1,)]
grads = [torch.randn(s) for s in shapes]
p1, p2, p3 = params(), params(), params()
kt = kerastorch.optimizers.Adam(epsilon=1e-7); kt.build(p1)
fe = torch.optim.Adam(p2, eps=1e-7, foreach=True)
fu = torch.optim.Adam(p3, eps=1e-7, fused=True)
for _ in range(2):
    print("Adam step on tiny params: kerastorch %.1f µs | torch foreach %.1f | torch fused %.1f" % (cpu_us(mk(kt, p1), n), cpu_us(mk(fe, p2), n), cpu_us(mk(fu, p3), n)))
