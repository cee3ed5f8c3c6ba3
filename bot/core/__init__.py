"""Core types every layer may use: errors, settings, commands, replies, formatting. Imports nothing above."""
