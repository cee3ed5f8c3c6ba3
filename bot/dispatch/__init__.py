"""Dispatch: text to Command (parse), the registry of subcommands, access check, handler, audit; confirmation."""
