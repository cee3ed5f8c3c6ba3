"""The worker transport: runs jobs from Redis (RQ workers), reports them, and fails those whose worker died.

`runtime` (what jobs run with), `execute` (the RQ job function and
callbacks), `monitor` (progress pushes beside a running job), `reaper`
(abandoned jobs, also from processes that are not workers), `process`
(`imagebot worker`, and the sandbox's in-process worker), `sweep` (the expiry
sweep's chain of scheduled jobs).
"""
