"""Docker operations over the Docker SDK: references, the engine, pulls with progress, inspection."""
