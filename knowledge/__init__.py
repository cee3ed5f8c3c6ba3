"""The curated knowledge base: entries, the comparison table, search and answers."""
