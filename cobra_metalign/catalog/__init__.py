"""The BiGG catalogue: loading the packaged or cached file, and building a fresh one from BiGG's bulk download."""
