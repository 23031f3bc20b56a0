"""Carried values: a loop's running state kept the way an updated shared variable is kept.

A fed-back output with the one tap -1 whose stacked steps nobody reads (a gradient accumulator, a
window of cotangents) can instead be carried: the step reads its current value among the "other"
inputs and returns the new one as an update, so the loop stacks nothing for it and its value after
the last step is an outer output of the node. After zero steps that value is the initial one, where
``out[-1]`` of the stacked output would be an ``IndexError`` (spec/scan.md, "Gradients").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from refspec.ast import Apply, Op, Variable
from refspec.ops import make_node
from refspec.params import ScanParams


def carry_outputs(node: Apply, carried: Sequence[int]) -> Apply:
    """The same loop with each output in ``carried`` (each fed back with taps ``(-1,)``) carried.

    The new node's outputs: the other outputs' stacked steps, in order; the final values of the
    shared variables the loop already updated; then one final value per carried output, in the
    order of ``carried``."""
    p = node.params
    assert isinstance(p, ScanParams) and not p.last_only
    assert all(p.out_taps[j] == (-1,) for j in carried), "only a single tap -1 is a carried value"
    steps, seqs, inits, others = p.split_outer(node.inputs)
    n_out = len(p.out_taps)
    n_seq_taps = sum(len(taps) for taps in p.seq_taps)
    tap_placeholders: dict[int, list[Variable]] = {}
    initial: dict[int, Variable] = {}
    k = n_seq_taps
    fed_inits = iter(inits)
    for j, taps in enumerate(p.out_taps):
        if taps:
            tap_placeholders[j] = list(p.inner_inputs[k:k + len(taps)])
            initial[j] = next(fed_inits)
            k += len(taps)
    inner_others = p.inner_inputs[k:]
    kept = [j for j in range(n_out) if j not in carried]
    params = replace(
        p,
        inner_inputs=(*p.inner_inputs[:n_seq_taps], *[ph for j in kept for ph in tap_placeholders.get(j, [])],
                      *inner_others, *[tap_placeholders[j][0] for j in carried]),
        inner_outputs=(*[p.inner_outputs[j] for j in kept], *p.inner_outputs[n_out:],
                       *[p.inner_outputs[j] for j in carried]),
        out_taps=tuple(p.out_taps[j] for j in kept),
        shared_outer_positions=(*p.shared_outer_positions, *range(len(others), len(others) + len(carried))),
    )
    kept_inits = [initial[j] for j in kept if j in initial]
    inputs = [steps, *seqs, *kept_inits, *others, *[initial[j] for j in carried]]
    new = make_node(Op.SCAN, inputs, params)
    new.source = node.source
    return new
