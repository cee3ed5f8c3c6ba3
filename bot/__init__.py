"""imagebot: a Slack ChatOps bot for everything "Docker image versus AMI"."""

__version__ = "0.1.0"
