"""Gradients through scan: reverse mode is a scan running backwards over the steps (backpropagation
through time), forward mode is a scan that carries tangents beside the values (spec/autodiff.md).

Reverse mode. Step t of the forward loop maps its inner inputs (sequence taps, output taps, other
inputs, the current value of each updated shared variable) to its inner outputs. The backward scan
visits t = T-1 .. 0 and carries, per fed-back output with deepest tap d, a window of the cotangents
of the d history entries after the ones step t reads (so entry d-1 is the extra cotangent of the
output of step t, collected from the later steps that read it as a tap); per other input, an
accumulator; per updated shared variable, the cotangent of its value after step t. Each step
applies the inner function's VJP (built once, symbolically) to those. Windows and accumulators are
carried values (refspec.autodiff.scan_carry), not stacked outputs: the backward loop keeps one of
each, and after zero steps their final values are the initial zeros, with no conditional in the
graph (which would turn off the fast path's fusion).
"""

from __future__ import annotations

import refspec.tensor as T
from dataclasses import replace

from refspec.ast import Apply, Op, Variable, clone_replace
from refspec.autodiff.cotangent import Grad, NullGrad, grad_dtype, tv
from refspec.autodiff.scan_carry import carry_outputs
from refspec.dtypes import is_complex, is_float
from refspec.ops import make_node
from refspec.params import ScanParams
from refspec.tensor.scan import scan
from refspec.tensor.var import TensorVariable


def _continuous(v: Variable) -> bool:
    return is_float(v.dtype) or is_complex(v.dtype)


class _Layout:
    """Where each outer input and inner placeholder of a scan node sits."""

    def __init__(self, node: Apply):
        p = node.params
        assert isinstance(p, ScanParams)
        self.p = p
        self.n_seqs = len(p.seq_taps)
        self.fed = [j for j, taps in enumerate(p.out_taps) if taps]
        _, seqs, inits, others = p.split_outer(node.inputs)
        self.seqs = [tv(v) for v in seqs]
        self.inits = [tv(v) for v in inits]
        self.others = [tv(v) for v in others]
        inner = list(p.inner_inputs)
        k = 0
        self.seq_ph: list[list[Variable]] = []
        for taps in p.seq_taps:
            self.seq_ph.append(inner[k:k + len(taps)])
            k += len(taps)
        self.out_ph: list[list[Variable]] = []
        for taps in p.out_taps:
            self.out_ph.append(inner[k:k + len(taps)])
            k += len(taps)
        self.other_ph = inner[k:]
        self.n_out = len(p.out_taps)
        self.outs = [tv(o) for o in node.outputs[:self.n_out]]


def _grad_or_zero(g: Grad, like: Variable) -> TensorVariable:
    return g if isinstance(g, TensorVariable) else T.zeros_like(tv(like), dtype=grad_dtype(like))


def _seq_offset(tap: int, taps: tuple[int, ...], go_backwards: bool) -> int:
    """Forward step t reads entry t + offset of the sequence (reversed with go_backwards), as in
    refspec.interp.scan.tap_offset: the window always includes tap 0."""
    lo, hi = min(min(taps), 0), max(max(taps), 0)
    return hi - tap if go_backwards else tap - lo


def _undefined(node: Apply, why: NullGrad) -> list[Grad]:
    out: list[Grad] = [None]  # n_steps is never differentiable
    out.extend(why for _ in node.inputs[1:])
    return out


def _as_outputs(node: Apply) -> Apply:
    """The same loop with every updated shared variable turned into an ordinary fed-back output
    (tap -1, initial value the shared variable's): outputs are the original ones, then one stacked
    sequence of values per shared variable, whose last entry is the value the update commits. The
    gradient rules then need no special case, and see each step's value (e.g. a random state)."""
    p = node.params
    assert isinstance(p, ScanParams)
    steps, seqs, inits, others = p.split_outer(node.inputs)
    n_taps = sum(len(t) for t in p.seq_taps) + sum(len(t) for t in p.out_taps)
    inner_others = list(p.inner_inputs[n_taps:])
    moved = list(p.shared_outer_positions)
    kept = [j for j in range(len(others)) if j not in moved]
    params = replace(
        p,
        inner_inputs=(*p.inner_inputs[:n_taps], *[inner_others[j] for j in moved],
                      *[inner_others[j] for j in kept]),
        out_taps=(*p.out_taps, *[(-1,)] * len(moved)),
        shared_outer_positions=(),
    )
    inputs = [steps, *seqs, *inits, *[others[j] for j in moved], *[others[j] for j in kept]]
    return make_node(Op.SCAN, inputs, params)


def _from_outputs(node: Apply, converted: Apply, grads: list[Grad],
                  finals: list[TensorVariable]) -> list[Grad]:
    """Map the converted loop's input gradients back to the original node's inputs. A loop that ran
    no step leaves each shared variable as it was: its final value's cotangent ``finals[k]`` goes
    straight to the shared variable (the converted loop's outputs are empty: they hold nothing)."""
    p = node.params
    assert isinstance(p, ScanParams)
    _, seqs, inits, others = p.split_outer(node.inputs)
    moved = list(p.shared_outer_positions)
    kept = [j for j in range(len(others)) if j not in moved]
    head = 1 + len(seqs) + len(inits)
    out: list[Grad] = list(grads[:head]) + [None] * len(others)
    for k, j in enumerate(moved + kept):
        out[head + j] = grads[head + k]
    n_out = len(p.out_taps)
    for k, (j, g) in enumerate(zip(moved, finals)):
        through = out[head + j]
        if isinstance(through, NullGrad):
            continue
        shared = tv(others[j])
        dtype = grad_dtype(shared)
        ran_none = T.eq(tv(converted.outputs[n_out + k]).shape[0], 0)
        # through the steps (zero if there were none) or, after no step, straight through
        steps_part = through if isinstance(through, TensorVariable) else T.zeros_like(shared, dtype=dtype)
        out[head + j] = T.switch(ran_none, T.cast(g, dtype), steps_part)
    return out


def _final_cotangents(node: Apply, converted: Apply, gs: list[TensorVariable]) -> list[TensorVariable]:
    """Cotangents for the converted loop's outputs: the final shared values' cotangents go to the
    last entry of each shared variable's sequence (to none when it is empty: see _from_outputs)."""
    p = node.params
    assert isinstance(p, ScanParams)
    n_out = len(p.out_taps)
    out = list(gs[:n_out])
    for g, seq in zip(gs[n_out:], converted.outputs[n_out:]):
        zeros = T.zeros_like(tv(seq), dtype=grad_dtype(seq))
        out.append(T.set_subtensor(zeros[-1:], T.shape_padleft(T.cast(g, zeros.dtype))))
    return out


def scan_vjp(node: Apply, gs: list[TensorVariable]) -> list[Grad]:
    from refspec.autodiff.reverse import backprop  # reverse mode uses this table: import at call time

    p0 = node.params
    assert isinstance(p0, ScanParams)
    if p0.last_only:
        return _undefined(node, NullGrad("scan: a loop the fast path rewrote (last-only outputs) is not "
                                         "differentiated; differentiate the graph you built"))
    if p0.shared_outer_positions:
        converted = _as_outputs(node)
        n_out = len(p0.out_taps)
        return _from_outputs(node, converted, scan_vjp(converted, _final_cotangents(node, converted, gs)),
                             gs[n_out:])
    L = _Layout(node)
    p = L.p
    # each cotangent in its output's gradient dtype (float64 for an integer output): the backward
    # step substitutes them for placeholders of that dtype, and substitution keeps the nodes' types
    gs = [g if g.dtype == grad_dtype(o) else T.cast(g, grad_dtype(o)) for g, o in zip(gs, node.outputs)]

    # the inner function's VJP, built once with placeholder cotangents for its outputs
    out_cts = [T.TensorType(grad_dtype(o), shape=o.type.shape)() for o in p.inner_outputs[:L.n_out]]
    # integer outputs pass cotangents on like continuous ones, as integers do outside loops
    # an inner variable returned as several outputs gets the sum of their cotangents
    # a complex output's cotangent is zero here: a non-zero one made the gradient undefined before
    # this rule ran (refspec.autodiff.complex_paths), so it seeds nothing
    seeds: dict[Variable, Grad] = {}
    for inner_out, ct in zip(p.inner_outputs[:L.n_out], out_cts):
        if is_complex(inner_out.dtype):
            continue
        earlier = seeds.get(inner_out)
        seeds[inner_out] = ct if not isinstance(earlier, TensorVariable) else earlier + ct
    placeholders = list(p.inner_inputs)
    inner_grads = backprop(seeds, placeholders)
    for ph in placeholders:
        g = inner_grads.get(id(ph))
        if isinstance(g, NullGrad):
            return _undefined(node, g)

    n_steps = L.outs[0].shape[0] if L.outs else tv(node.inputs[0])
    steps = n_steps if p.truncate_gradient <= 0 else T.minimum(n_steps, p.truncate_gradient)
    start = n_steps - steps  # first forward step the backward loop visits

    # per-step values the backward loop reads, aligned with forward steps and then reversed
    def aligned(full: TensorVariable, offset: int | TensorVariable) -> TensorVariable:
        return full[start + offset:start + offset + steps][::-1]

    step_seqs: list[TensorVariable] = []
    for seq, taps in zip(L.seqs, p.seq_taps):
        ordered = seq[::-1] if p.go_backwards else seq
        for tap in taps:
            step_seqs.append(aligned(ordered, _seq_offset(tap, taps, p.go_backwards)))
    histories: dict[int, TensorVariable] = {}
    for j, init in zip(L.fed, L.inits):
        taps = p.out_taps[j]
        depth = -min(taps)
        head = T.shape_padleft(init) if taps == (-1,) else init[:depth]
        histories[j] = T.concatenate([head, L.outs[j]])
        for tap in taps:
            step_seqs.append(aligned(histories[j], depth + tap))
    for g in gs[:L.n_out]:
        step_seqs.append(aligned(g, 0))
    # the forward loop's own outputs, so the VJP reads each step's output instead of recomputing it
    # (the same kernels on the same values: the very same bits)
    computed = [j for j, o in enumerate(p.inner_outputs[:L.n_out]) if o.owner is not None]
    for j in computed:
        step_seqs.append(aligned(L.outs[j], 0))

    windows = [T.alloc(T.constant(0, dtype=grad_dtype(L.outs[j])), -min(p.out_taps[j]),
                       *[L.outs[j].shape[a] for a in range(1, L.outs[j].ndim)]) for j in L.fed]
    accums = [T.zeros_like(o, dtype=grad_dtype(o)) for o in L.others]
    n_seq_taps = sum(len(t) for t in p.seq_taps)
    n_out_taps = sum(len(p.out_taps[j]) for j in L.fed)
    # each step's contribution to a sequence entry with axes is fed back from an initial entry of
    # zeros that no step reads: a loop of zero steps then stacks an empty array of the entry's shape
    # (spec/scan.md, "0 steps"), which the contribution's static type may not know
    entry_zeros: list[TensorVariable | None] = []
    for seq, taps in zip(L.seqs, p.seq_taps):
        entry = T.alloc(T.constant(0, dtype=grad_dtype(seq)), *[seq.shape[a] for a in range(1, seq.ndim)])
        entry_zeros.extend(entry if seq.ndim > 1 else None for _ in taps)
    n_shaped = sum(1 for z in entry_zeros if z is not None)
    seq_dtypes = [grad_dtype(ph) for ph in placeholders[:n_seq_taps]]

    def backward_step(*args: TensorVariable) -> list[TensorVariable]:
        it = iter(args)
        seq_vals = [next(it) for _ in range(n_seq_taps)]
        tap_vals = [next(it) for _ in range(n_out_taps)]
        g_vals = [next(it) for _ in range(L.n_out)]
        forward_vals = [next(it) for _ in computed]
        win_vals = [next(it) for _ in L.fed]
        acc_vals = [next(it) for _ in L.others]
        for _ in range(n_shaped):
            next(it)  # the previous step's contribution: never read
        other_vals = [next(it) for _ in L.others]
        env: dict[Variable, Variable] = dict(zip(placeholders, [*seq_vals, *tap_vals, *other_vals]))
        totals: list[Variable] = []
        for j in range(L.n_out):
            if j in L.fed:
                totals.append(g_vals[j] + win_vals[L.fed.index(j)][-1])
            else:
                totals.append(g_vals[j])
        env.update(zip(out_cts, totals))
        env.update((p.inner_outputs[j], v) for j, v in zip(computed, forward_vals))
        wanted = [_grad_or_zero(inner_grads.get(id(ph)), ph) for ph in placeholders]
        contrib = clone_replace(wanted, env)
        k = n_seq_taps
        new_windows: list[TensorVariable] = []
        for w, j in zip(win_vals, L.fed):
            taps = p.out_taps[j]
            depth = -min(taps)
            parts: list[TensorVariable] = []
            for m in range(depth):
                term = w[m - 1] if m >= 1 else T.zeros_like(w[0])
                for ti, tap in enumerate(taps):
                    if depth + tap == m:
                        term = term + tv(contrib[k + ti])
                parts.append(term)
            new_windows.append(T.stack(parts))
            k += len(taps)
        new_accs = [a + tv(c) for a, c in zip(acc_vals, contrib[k:])]
        seq_contribs = [T.cast(c, d) if c.dtype != d else tv(c)
                        for c, d in zip(contrib[:n_seq_taps], seq_dtypes)]
        return [*new_windows, *new_accs, *seq_contribs]

    outputs_info: list[object] = [*windows, *accums, *entry_zeros]
    results, _ = scan(backward_step, sequences=step_seqs, outputs_info=outputs_info,
                      non_sequences=list(L.others), n_steps=steps, return_list=True,
                      name=f"grad_of_{p.name}" if p.name else None)
    assert isinstance(results, list)
    n_carried = len(L.fed) + len(L.others)
    finals: list[TensorVariable] = []
    per_step_seq: list[TensorVariable] = list(results[n_carried:])
    if n_carried:
        # windows and accumulators are carried, not stacked: their final values are outputs of the
        # loop, the initial zeros when it runs no step (out[-1] of an empty output would raise)
        back = results[0].owner
        assert back is not None
        carried = carry_outputs(back, range(n_carried))
        per_step_seq = [tv(o) for o in carried.outputs[:n_seq_taps]]
        finals = [tv(o) for o in carried.outputs[n_seq_taps:]]
    final_windows = finals[:len(L.fed)]
    final_accs = finals[len(L.fed):]

    grads: list[Grad] = [None]
    k = 0
    for seq, taps in zip(L.seqs, p.seq_taps):
        g_seq = T.zeros_like(seq, dtype=grad_dtype(seq))
        for tap in taps:
            offset = start + _seq_offset(tap, taps, p.go_backwards)
            g_seq = T.inc_subtensor(g_seq[offset:offset + steps], per_step_seq[k][::-1])
            k += 1
        grads.append(g_seq[::-1] if p.go_backwards else g_seq)
    for w, j, init in zip(final_windows, L.fed, L.inits):
        taps = p.out_taps[j]
        reached = T.switch(T.eq(start, 0), w, T.zeros_like(w))  # truncated: no gradient to the start
        if taps == (-1,):
            grads.append(T.cast(reached[0], grad_dtype(init)))
        else:
            depth = -min(taps)
            g_init = T.zeros_like(init, dtype=grad_dtype(init))
            grads.append(T.inc_subtensor(g_init[:depth], reached))
    for other, acc in zip(L.others, final_accs):
        grads.append(acc)  # integer inputs too: their gradient flows (spec/autodiff.md, "Integers")
    return grads



def scan_jvp(node: Apply, ts: list[TensorVariable | None]) -> list[TensorVariable | None]:
    """A second scan computing the same steps with their tangents carried beside them."""
    if all(t is None for t in ts[1:]):
        return [None for _ in node.outputs]
    p0 = node.params
    assert isinstance(p0, ScanParams)
    n_out = len(p0.out_taps)
    if not p0.shared_outer_positions:
        results = _tangent_loop(node, ts)
        n_results = len(results) // 2  # values, then tangents
        return [T.cast(r, o.dtype) for r, o in zip(results[n_results:], node.outputs)]
    # the same loop with shared variables as outputs, whose values and tangents are then carried:
    # a final value's tangent is its last step's, or its initial one after no step
    converted = _as_outputs(node)
    _, seqs0, inits0, others0 = p0.split_outer(node.inputs)
    moved = list(p0.shared_outer_positions)
    kept = [j for j in range(len(others0)) if j not in moved]
    head = 1 + len(seqs0) + len(inits0)
    reordered = ts[:head] + [ts[head + j] for j in moved] + [ts[head + j] for j in kept]
    results = _tangent_loop(converted, reordered)
    n_conv = len(results) // 2
    finals_at = [n_out + k for k in range(len(moved))]
    loop = results[0].owner
    assert loop is not None
    carried = carry_outputs(loop, [*finals_at, *[n_conv + j for j in finals_at]])
    tangents = [tv(o) for o in carried.outputs[n_out:2 * n_out]]
    final_tangents = [tv(o) for o in carried.outputs[2 * n_out + len(moved):]]
    return [T.cast(t, o.dtype) for t, o in zip([*tangents, *final_tangents], node.outputs)]


def _tangent_loop(node: Apply, ts: list[TensorVariable | None]) -> list[TensorVariable]:
    """The outputs of the loop computing ``node``'s steps with tangents beside them: one per output
    (the values), then one per output (the tangents). ``node`` updates no shared variable."""
    from refspec.autodiff.forward import propagate  # forward mode uses this table: import at call time
    from refspec.tensor.scan import until

    L = _Layout(node)
    p = L.p
    rest = ts[1:]
    seq_t = [t if t is not None else T.zeros_like(s) for s, t in zip(L.seqs, rest[:L.n_seqs])]
    init_t = [t if t is not None else T.zeros_like(i)
              for i, t in zip(L.inits, rest[L.n_seqs:L.n_seqs + len(L.fed)])]
    other_t = [t if t is not None and _continuous(o) else None
               for o, t in zip(L.others, rest[L.n_seqs + len(L.fed):])]
    placeholders = list(p.inner_inputs)
    n_seq_taps = sum(len(t) for t in p.seq_taps)
    n_out_taps = sum(len(p.out_taps[j]) for j in L.fed)
    tangent_others = [o for o, t in zip(L.others, other_t) if t is not None]

    def step(*args: TensorVariable) -> list[object]:
        it = iter(args)
        seq_vals = [next(it) for _ in range(n_seq_taps)]
        seq_tans = [next(it) for _ in range(n_seq_taps)]
        tap_vals: list[TensorVariable] = []
        tap_tans: list[TensorVariable] = []
        for j in L.fed:
            tap_vals.extend(next(it) for _ in p.out_taps[j])
        for j in L.fed:
            tap_tans.extend(next(it) for _ in p.out_taps[j])
        other_vals = [next(it) for _ in L.others]
        other_tans = [next(it) for _ in tangent_others]
        env: dict[Variable, Variable] = dict(zip(placeholders, [*seq_vals, *tap_vals, *other_vals]))
        tangents: dict[int, TensorVariable | None] = {}
        for ph, tan in zip(placeholders[:n_seq_taps + n_out_taps], [*seq_tans, *tap_tans]):
            tangents[id(ph)] = tan
        t_iter = iter(other_tans)
        for ph, t in zip(placeholders[n_seq_taps + n_out_taps:], other_t):
            tangents[id(ph)] = next(t_iter) if t is not None else None
        roots = list(p.inner_outputs[:L.n_out]) + ([p.until] if p.until is not None else [])
        # a complex output's tangent is undefined: left zero here, the outer propagate marks it so
        # (an error only where it is used); a real output whose tangent passes through a complex
        # value is an error now
        propagate([r for r in roots if not is_complex(r.dtype)], tangents)
        out_tans = [tangents.get(id(o)) for o in p.inner_outputs[:L.n_out]]
        filled = [t if t is not None else T.zeros_like(tv(o)) for o, t in zip(p.inner_outputs, out_tans)]
        values = clone_replace([*roots, *filled], env)
        result: list[object] = [tv(v) for v in values[:L.n_out]]
        result.extend(tv(v) for v in values[len(roots):])
        if p.until is not None:
            result.append(until(values[L.n_out]))
        return result

    def info(j: int, initial: TensorVariable) -> object:
        taps = p.out_taps[j]
        return dict(initial=initial, taps=list(taps)) if taps else None

    inits = dict(zip(L.fed, L.inits))
    tans = dict(zip(L.fed, init_t))
    outputs_info = [info(j, inits[j]) if j in inits else None for j in range(L.n_out)]
    outputs_info += [info(j, tans[j]) if j in tans else None for j in range(L.n_out)]
    sequences = [dict(input=s, taps=list(taps)) for s, taps in zip(L.seqs, p.seq_taps)]
    sequences += [dict(input=s, taps=list(taps)) for s, taps in zip(seq_t, p.seq_taps)]
    others_t = [t for t in other_t if t is not None]
    results, _ = scan(step, sequences=sequences, outputs_info=outputs_info,
                      non_sequences=[*L.others, *others_t], n_steps=tv(node.inputs[0]),
                      go_backwards=p.go_backwards, return_list=True)
    assert isinstance(results, list)
    return results
