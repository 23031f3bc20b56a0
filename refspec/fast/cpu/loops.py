"""scan on the fast path: a loop generated for each scan node around a step compiled by the same
pipeline as everything else.

The loop is ``refspec.interp.scan.run_scan`` specialized to one node: the checks before the loop and
the stacking after it are the reference's own (``prepare_loop``, ``finish_loop``); in between, each
step is one call of the generated step with its arguments written out (sequence entries at constant
offsets, history entries at constant taps, carried values in locals), so the loop does no per-step
bookkeeping over lists of taps. An error inside the loop is raised again by the reference, which
the fast path re-runs on any error.
"""

from __future__ import annotations

from collections.abc import Callable

from refspec.ast import Array, Variable
from refspec.interp.scan import finish_loop, prepare_loop, shape_changed, tap_offset, tap_window
from refspec.params import ScanParams

Loop = Callable[..., tuple[Array, ...]]


def compiled_step(params: ScanParams) -> Callable[..., tuple[Array, ...]]:
    """The step's inner graph, optimized and generated (an ifelse as lazy branches): a function of
    the inner inputs' values returning the inner outputs (and the until condition, last)."""
    from refspec.fast.cpu.codegen import generate  # codegen builds loops' kernels: import at call time
    from refspec.fast.cpu.pipeline import optimize

    roots: list[Variable] = list(params.inner_outputs)
    if params.until is not None:
        roots.append(params.until)
    return generate(optimize(roots), list(params.inner_inputs)).run


def loop_source(params: ScanParams) -> str:
    """The text of ``loop(state)``: runs ``state.n_steps`` steps, growing ``state.outputs`` and the
    histories, and leaves the final shared values in ``state.shared_now``."""
    n_out = len(params.out_taps)
    n_shared = len(params.shared_outer_positions)
    carried = dict(zip(params.shared_outer_positions, range(n_shared)))
    lines = ["def loop(state):",
             "    seqs, histories, outputs, others = state.seqs, state.histories, state.outputs, state.others"]
    args: list[str] = []
    for j, taps in enumerate(params.seq_taps):
        lines.append(f"    q{j} = seqs[{j}]")
        lo, hi = tap_window(taps)
        args += [f"q{j}[t + {tap_offset(tap, lo, hi, params.go_backwards)}]" for tap in taps]
    for i, taps in enumerate(params.out_taps):
        lines.append(f"    o{i} = outputs[{i}]")
        if taps:
            lines.append(f"    h{i} = histories[{i}]")
            args += [f"h{i}[{tap}]" for tap in taps]
        # the shape every step must keep: the last initial entry's, else the first step's
        lines.append(f"    p{i} = h{i}[-1] if h{i} else None" if taps else f"    p{i} = None")
    n_others = len(params.inner_inputs) - len(args)
    for k in range(n_others):
        lines.append(f"    x{k} = " + (f"state.shared_now[{carried[k]}]" if k in carried else f"others[{k}]"))
        args.append(f"x{k}")
    lines.append("    for t in range(state.n_steps):")
    lines.append(f"        r = step({', '.join(args)})")
    for i, taps in enumerate(params.out_taps):
        lines.append(f"        y = r[{i}]")
        lines.append(f"        if p{i} is not None and p{i}.shape != y.shape:")
        lines.append(f"            raise _shape_changed({i}, y, t, p{i})")
        lines.append(f"        p{i} = y")
        lines.append(f"        o{i}[:] = (y,)" if i in params.last_only else f"        o{i}.append(y)")
        if taps:
            lines.append(f"        h{i}.append(y)")
    for k, s in carried.items():
        lines.append(f"        x{k} = r[{n_out + s}]")
    if params.until is not None:
        lines.append("        if bool(r[-1]):")
        lines.append("            break  # the step whose condition is true is included")
    lines.append("    state.shared_now = [" + "".join(f"x{k}, " for k in carried) + "]")
    return "\n".join(lines) + "\n"


def scan_kernel(params: ScanParams) -> tuple[Loop, str]:
    """The loop's kernel, and how its step runs (for ``Function.report()``)."""
    namespace: dict[str, object] = {"step": compiled_step(params), "_shape_changed": shape_changed}
    exec(compile(loop_source(params), "<refspec generated loop>", "exec"), namespace)
    loop = namespace["loop"]
    assert callable(loop)

    def kernel(n_steps: Array, *args: Array) -> tuple[Array, ...]:
        state = prepare_loop(params, n_steps, args)
        loop(state)
        return finish_loop(params, state)

    return kernel, "generated loop around a generated step"
