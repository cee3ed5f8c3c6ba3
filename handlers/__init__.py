"""Slack-free subcommand handlers: (Context, Command) -> Reply, one module per subcommand group.

The list of subcommands is `bot.dispatch.registry.REGISTRY`.
"""
