"""Reading and writing models: SBML (with its safety checks), JSON, YAML, MAT; the metabolite table."""
