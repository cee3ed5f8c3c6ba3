"""Slack-free subcommand handlers: (Context, Command) -> Reply.

The registry below is the one list of subcommands: adding one is a handler
module, one line here, and its tests.
"""

from bot.commands import Registry
from handlers import ami, ask, audit, compare, help, jobs
from handlers import docker as docker_images

REGISTRY = Registry(
    [
        help.show_help,
        ask.ask,
        compare.compare,
        ami.ami_status,
        ami.ami_copies,
        ami.ami_copy,
        ami.launch,
        jobs.list_jobs,
        jobs.show_job,
        jobs.cancel_job,
        jobs.check_jobs,
        audit.show_audit,
        docker_images.pull,
        docker_images.docker_inspect,
        docker_images.docker_remote,
    ]
)
