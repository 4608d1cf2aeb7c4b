"""mjrelay's benchmarks: `python -m bench` (or `make bench`) rewrites docs/benchmarks.md.

Every scenario measures mjrelay beside a baseline in the same run, on the same embedded
PostgreSQL and the same machine, and reports the ratio: machines are noisy, ratios much less so.

    registry.py   the scenario registry (`@scenario`) and the list of scenarios still to build
    harness.py    BenchContext: the server, fresh databases, progress bars, the time budget
    results.py    what a scenario returns: figures (ours, baseline, ratio, target), plots, notes
    report.py     docs/benchmarks.md from the results, with the machine's facts
    lease/        scenario `lease`: per-account capped leasing vs pgqueuer and procrastinate
"""
