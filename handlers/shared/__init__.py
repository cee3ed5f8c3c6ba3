"""What several subcommand modules share: how AMIs are shown, and the knowledge-base topic buttons."""
