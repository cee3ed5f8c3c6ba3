"""Jobs: long-running work as RQ jobs on Redis, each with a user-facing job record.

`record` (the record and its statuses), `store` (records, indexes, dedupe in
Redis), `queue` (RQ: enqueue, cancel), `progress` (what a running job
reports), `notify` (the interface a transport implements to show jobs),
`display` (how a job is written in a line).
"""
