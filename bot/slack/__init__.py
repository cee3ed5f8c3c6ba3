"""The Slack transport: the Bolt app, the Web API client, job messages and user groups.

Only `bot.slack.app` imports slack_bolt; the worker uses the notifier alone.
"""
