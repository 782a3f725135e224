"""Pre-merge of template models: compartments, cross-model joins, reactions, duplicates, energy check."""
