"""Benchmarks of issue 5: refspec's fast and reference paths beside hand-written numpy, PyTensor and JAX.

``python -m refspec bench [--quick] [--only NAME] [--plot PATH] [--json PATH]``; the workloads are in
``workloads``, the peers (optional, imported only when installed) in ``peers``, timing in ``timing``,
fresh-process compile times in ``cold``, the table/JSON/chart in ``report``, the command in ``runner``.
"""
