"""scan, defined by a Python loop (spec/scan.md). This function *is* the semantics.

Outer inputs of a scan node, in order: n_steps, the sequences, the initial values of the outputs that
are fed back, then the other inputs (non-sequences, captured variables and shared variables). Outer
outputs: each output's stacked steps, then the final value of each updated shared variable.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from refspec.ast import Array, Variable
from refspec.interp.evaluate import evaluate
from refspec.params import ScanParams


def tap_window(taps: tuple[int, ...]) -> tuple[int, int]:
    """The lowest and highest tap of a sequence's window, which always includes tap 0 (Theano)."""
    return min(min(taps), 0), max(max(taps), 0)


def tap_offset(tap: int, lo: int, hi: int, go_backwards: bool) -> int:
    """Step t reads entry t + offset of the sequence (of the reversed sequence with go_backwards): the
    current position c walks over -lo .. len-1-hi (backwards with go_backwards) and tap k reads the
    original sequence's entry c + k, so taps keep their direction in time."""
    return hi - tap if go_backwards else tap - lo


Step = Callable[[list[Array]], list[Array]]


def reference_step(params: ScanParams) -> Step:
    """One step on the reference evaluator: inner inputs' values in -> inner outputs (and the until
    condition, last) out."""
    roots: list[Variable] = list(params.inner_outputs)
    if params.until is not None:
        roots.append(params.until)
    inner = params.inner_inputs

    def step(values: list[Array]) -> list[Array]:
        return evaluate(roots, dict(zip(inner, values)))

    return step


@dataclass
class LoopState:
    """What the loop reads and grows: the sequences (reversed for go_backwards), each output's
    history (initial entries, then one per step; empty for an output not fed back), each output's
    steps, the outer "other" inputs and the current values of the updated shared variables."""

    n_steps: int
    seqs: list[Array]
    histories: list[list[Array]]
    outputs: list[list[Array]]
    others: list[Array]
    shared_now: list[Array]


def prepare_loop(params: ScanParams, n_steps_value: Array, args: Sequence[Array]) -> LoopState:
    """Split the outer values and check them: n_steps, each sequence's length, each initial value's
    depth (the errors of spec/scan.md)."""
    n_seqs, n_fed = len(params.seq_taps), sum(1 for taps in params.out_taps if taps)
    seqs = list(args[:n_seqs])
    inits = list(args[n_seqs:n_seqs + n_fed])
    others = list(args[n_seqs + n_fed:])
    n_steps = int(n_steps_value)
    if n_steps < 0:
        raise ValueError(f"scan: n_steps must be >= 0, got {n_steps}")
    if params.go_backwards:
        seqs = [s[::-1] for s in seqs]
    for i, (seq, taps) in enumerate(zip(seqs, params.seq_taps)):
        lo, hi = tap_window(taps)
        available = seq.shape[0] - (hi - lo)
        if n_steps > max(available, 0):  # 0 steps read nothing, whatever the length (spec/scan.md)
            raise ValueError(
                f"scan: {n_steps} steps need {n_steps + hi - lo} entries of sequence {i} (taps {list(taps)}), "
                f"but it has {seq.shape[0]}; scan never reads past the end of a sequence"
            )

    # histories of the fed-back outputs: their initial entries, then one entry per step
    histories: list[list[Array]] = []
    it = iter(inits)
    for taps in params.out_taps:
        if not taps:
            histories.append([])
            continue
        init = next(it)
        depth = -min(taps)
        if taps == (-1,):
            histories.append([init])
        else:
            if init.shape[0] < depth:
                raise ValueError(f"scan: taps {list(taps)} need {depth} initial entries, got {init.shape[0]}")
            histories.append(list(init[:depth]))  # the first `depth` entries, as in Theano
    shared_now = [others[p] for p in params.shared_outer_positions]
    return LoopState(n_steps, seqs, histories, [[] for _ in params.out_taps], others, shared_now)


def shape_changed(i: int, value: Array, t: int, previous: Array) -> ValueError:
    return ValueError(f"scan: output {i} has shape {value.shape} at step {t} but "
                      f"{previous.shape} before; every step must keep the shape")


def run_scan(params: ScanParams, n_steps_value: Array, *args: Array, step: Step | None = None) -> tuple[Array, ...]:
    """The loop. ``step`` computes one step from the inner inputs' values (the reference evaluator
    unless a compiled step is given)."""
    run_step = step if step is not None else reference_step(params)
    state = prepare_loop(params, n_steps_value, args)
    seqs, histories, outputs, others = state.seqs, state.histories, state.outputs, state.others
    n_shared = len(params.shared_outer_positions)
    shared_now = state.shared_now

    for t in range(state.n_steps):
        inputs: list[Array] = []
        for seq, taps in zip(seqs, params.seq_taps):
            lo, hi = tap_window(taps)
            inputs.extend(seq[t + tap_offset(tap, lo, hi, params.go_backwards)] for tap in taps)
        for history, taps in zip(histories, params.out_taps):
            inputs.extend(history[len(history) + tap] for tap in taps)
        current = list(others)
        for position, value in zip(params.shared_outer_positions, shared_now):
            current[position] = value  # updated shared variables carry over
        inputs.extend(current)
        values = run_step(inputs)
        n_out = len(params.out_taps)
        for i, value in enumerate(values[:n_out]):
            previous = outputs[i][-1] if outputs[i] else (histories[i][-1] if histories[i] else None)
            if previous is not None and previous.shape != value.shape:
                raise shape_changed(i, value, t, previous)
            if i in params.last_only:
                outputs[i][:] = [value]  # only the last step is kept
            else:
                outputs[i].append(value)
            if params.out_taps[i]:
                histories[i].append(value)
        shared_now = list(values[n_out:n_out + n_shared])
        if params.until is not None and bool(values[-1]):
            break  # the step whose condition is true is included
    state.shared_now = shared_now
    return finish_loop(params, state)


def finish_loop(params: ScanParams, state: LoopState) -> tuple[Array, ...]:
    """The outer outputs: each output's steps stacked, then the final shared values."""
    stacked: list[Array] = []
    for i, steps in enumerate(state.outputs):
        if steps:
            stacked.append(np.stack(steps))
        else:
            stacked.append(_empty_output(params, i, state.histories[i]))
    return tuple(stacked) + tuple(state.shared_now)


def _empty_output(params: ScanParams, i: int, history: Sequence[Array]) -> Array:
    """The stacked value of an output after zero steps: shape (0, *step shape)."""
    var = params.inner_outputs[i]
    if history:
        return np.zeros((0,) + history[-1].shape, dtype=var.dtype)
    if any(s is None for s in var.type.shape):
        raise ValueError(f"scan ran 0 steps and the step shape of output {i} ({var.type}) is unknown")
    shape = tuple(s for s in var.type.shape if s is not None)
    return np.zeros((0,) + shape, dtype=var.dtype)
