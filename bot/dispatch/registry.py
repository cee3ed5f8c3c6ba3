"""The one list of subcommands. Adding one: a handler module, one line here, and its tests.

Importing this module imports every handler module, so a worker that has
imported it knows every job kind they define.
"""

from __future__ import annotations

from bot.framework.subcommand import Registry
from handlers import (
    ami_copies,
    ami_copy,
    ami_status,
    ami_usage,
    ask,
    audit,
    compare,
    docker,
    help,
    instances,
    jobs,
    kb,
    launch,
    lifecycle,
    pull,
)

REGISTRY = Registry(
    [
        help.show_help,
        ask.ask,
        compare.compare,
        ami_status.ami_status,
        ami_copies.ami_copies,
        ami_copy.ami_copy,
        ami_usage.ami_usage,
        launch.launch,
        instances.list_instances,
        lifecycle.stop,
        lifecycle.start,
        lifecycle.terminate,
        lifecycle.extend,
        jobs.list_jobs,
        jobs.show_job,
        jobs.cancel_job,
        jobs.check_jobs,
        audit.show_audit,
        kb.kb_gaps,
        kb.kb_vote,
        pull.pull,
        docker.docker_inspect,
        docker.docker_remote,
    ]
)
