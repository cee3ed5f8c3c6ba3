"""What a handler module is written against: its Context, @subcommand with typed options, @job_kind, submit."""
